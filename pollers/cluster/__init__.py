"""Remote pollers over NATS JetStream: the message contract, the agent's publisher, the
centre's consumer and planner (issue 16). Pure parts (``messages``, ``planner``) have no I/O."""
