"""Request bodies and the main response shapes (pydantic; money as strings, times ISO 8601 UTC), one module
per area; every name is importable from here, as the routes do.
"""

from __future__ import annotations

from propfirm.api.models.abuse import (  # noqa: F401
    FindingConfirmation,
    FindingDecision,
    FindingOut,
    FindingPage,
)
from propfirm.api.models.admin import (  # noqa: F401
    AccountAction,
    AccountPage,
    AccountRow,
    ActionOut,
    BlindInterval,
    EvaluationLag,
    GapAccount,
    GapReview,
    MoveGroupAction,
    OverrideOut,
    OverrideRequest,
    PendingWork,
    PollerHealth,
    ProgramAdded,
    ProgramList,
    ProgramVersion,
    QueueDepth,
    RecentTransition,
    SystemHealth,
    TransitionPage,
)
from propfirm.api.models.base import (  # noqa: F401
    Health,
    Problem,
    PurchaseAccepted,
    RequestBody,
    ResponseModel,
    documented,
)
from propfirm.api.models.challenges import (  # noqa: F401
    AuditPage,
    AuditRow,
    ChallengeList,
    ChallengePage,
    ChallengeRef,
    ChallengeSummary,
    ChallengeView,
    CoverageInfo,
    Credentials,
    DayInfo,
    DayList,
    DayOut,
    DayResult,
    DealOut,
    DealPage,
    EquityCurve,
    EquityPoint,
    Explanation,
    FloorsInfo,
    LimitLeft,
    LimitsInfo,
    LiveInfo,
    Me,
    PerformanceOut,
    ProgramInfo,
    ProgressInfo,
    TomorrowInfo,
    TradeLossLeft,
    Transition,
    TransitionList,
)
from propfirm.api.models.gaps import (  # noqa: F401
    GapFindingOut,
    GapFindingPage,
    GapReviewOut,
    GapReviewPage,
)
from propfirm.api.models.integrations import (  # noqa: F401
    CrmChallenge,
    CrmPage,
    RotateSecretRequest,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointChange,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointRequest,
)
from propfirm.api.models.leaderboard import (  # noqa: F401
    Leaderboard,
    LeaderboardEntry,
    LeaderboardMembership,
    LeaderboardOptIn,
)
from propfirm.api.models.news import (  # noqa: F401
    NewsCalendarIn,
    NewsCalendarOut,
    NewsReleaseIn,
    NewsReleaseOut,
)
from propfirm.api.models.payouts import (  # noqa: F401
    ApproveRequest,
    ConditionOut,
    DenialOut,
    EligibilityOut,
    PayoutList,
    PayoutOut,
    RejectRequest,
    ResolveReviewRequest,
)
