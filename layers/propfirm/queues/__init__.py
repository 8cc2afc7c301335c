"""Queue messages (`messages`), the shard of an account (`sharding`), evaluation-message packing
(`packing`) and the SQS adapter (`sqs`)."""
