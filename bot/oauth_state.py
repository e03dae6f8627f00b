"""OAuth ``state`` values signed by the app instead of stored: ``GET /slack/install`` writes nothing.

slack_sdk's ``SQLAlchemyOAuthStateStore`` wrote a row for every anonymous ``GET /slack/install`` and
deleted it only when consumed, so anyone could grow the table without limit. This store implements
slack_sdk's :class:`~slack_sdk.oauth.state_store.OAuthStateStore` interface (what bolt's
``OAuthSettings(state_store=...)`` takes) without a row per state:

- :meth:`~SignedOAuthStateStore.issue` returns ``<issued_at>.<nonce>.<mac>``, an HMAC-SHA256 of the
  first two parts under a key derived from the OAuth client secret (every replica derives the same);
- :meth:`~SignedOAuthStateStore.consume` accepts a state once: its MAC must verify, it must be younger
  than ``expiration_seconds`` (bolt's ``state_expiration_seconds``, which also sets the cookie's
  ``Max-Age``), and its first use is recorded in the database's replay record
  (:meth:`bot.store.Store.remember_request`), kept for the state's lifetime and pruned after, so a
  state cannot be used twice, on any replica.

bolt still checks that the state comes back in the browser cookie it set (``OAuthStateUtils``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from logging import Logger

from slack_sdk.oauth.state_store import OAuthStateStore

log = logging.getLogger(__name__)

#: Derivation label of the state key (HMAC of this under the client secret), so the client secret
#: itself never signs anything the app hands out.
_KEY_LABEL = b"gpucost oauth state v1"


class SignedOAuthStateStore(OAuthStateStore):
    """Stateless, expiring, single-use OAuth states (see the module docstring)."""

    def __init__(
        self,
        client_secret: str,
        expiration_seconds: int,
        remember: Callable[[str, float, float], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``remember(key, now, window_s)`` is True the first time ``key`` is seen within ``window_s``
        [s] (the database's replay record); ``expiration_seconds`` [s] is a state's lifetime."""
        self._key = hmac.new(client_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self.expiration_seconds = expiration_seconds
        self._remember = remember
        self._clock = clock

    @property
    def logger(self) -> Logger:
        """The logger slack_sdk's interface asks for."""
        return log

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: object, **kwargs: object) -> str:
        """A new state; nothing is written anywhere."""
        payload = f"{int(self._clock())}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._mac(payload)}"

    def consume(self, state: str) -> bool:
        """True once for a state this app issued less than ``expiration_seconds`` ago; else False."""
        issued, _, rest = (state or "").partition(".")
        nonce, _, mac = rest.partition(".")
        if not issued.isdigit() or not nonce or len(state) > 200:
            return False
        if not hmac.compare_digest(self._mac(f"{issued}.{nonce}"), mac):
            return False
        now = self._clock()
        if not 0 <= now - int(issued) <= self.expiration_seconds:
            return False
        key = "state:" + hashlib.sha256(state.encode()).hexdigest()
        try:
            return self._remember(key, now, float(self.expiration_seconds))
        except Exception as err:  # no database: the installation could not be saved anyway
            log.warning("OAuth state not accepted: the database is unavailable (%s)", type(err).__name__)
            return False
