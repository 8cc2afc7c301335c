"""The store's literal builders: what they give PostgreSQL is what the list held."""

from __future__ import annotations

import pytest
from propfirm.store.jsonutil import bigint_array


def test_bigint_array_is_the_literal_of_the_ints() -> None:
    assert bigint_array([100123, -7, 0, 2**63 - 1]) == "{100123,-7,0,9223372036854775807}"
    assert bigint_array([]) == "{}"
    assert bigint_array(n for n in (1, 2)) == "{1,2}"


@pytest.mark.parametrize("bad", [[True], ["5"], [1.0], [None]])
def test_bigint_array_refuses_anything_but_ints(bad) -> None:
    with pytest.raises(TypeError):
        bigint_array(bad)
