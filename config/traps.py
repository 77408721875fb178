"""``traps:`` settings: where the SNMP trap receiver listens and whom it accepts."""

from __future__ import annotations

from pydantic import Field, SecretStr

from provnet.config.base import Strict


class TrapV3User(Strict):
    """An SNMPv3 user allowed to send traps (authPriv, SHA + AES-128)."""

    user: str
    auth_key: SecretStr
    priv_key: SecretStr
    engine_id: str = Field(description="the sender's snmpEngineID, hex")
    #: the inventory host name of the device that sends as this user: a trap that
    #: authenticates as this user is that device's whatever its source address (NAT, a
    #: management VRF, a second uplink); None: the source address must be the device's
    device: str | None = None


class TrapSettings(Strict):
    """Where the trap receiver listens and whom it accepts."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=1162, ge=0, le=65535)
    communities: list[SecretStr] = Field(default_factory=lambda: [SecretStr("public")])
    v3_users: list[TrapV3User] = Field(default_factory=list)
