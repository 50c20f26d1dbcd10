from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so "Minji@Example.org" and "minji@example.org" are one account.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    # Stored lower-cased too; @Minji and @minji mention the same person.
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The sign-in (LoginSession key) this object was loaded for; not a column.
    login_key = None

    def get_id(self) -> str:
        """What flask-login keeps in the session and the remember cookie: the sign-in's key.

        A user object that wasn't signed in through `accounts.services.sign_in` has no key and
        gives "", which loads nobody: such a login lasts only for the request.
        """
        return self.login_key or ""

    def __repr__(self) -> str:
        return f"<User @{self.handle}>"


class LoginSession(db.Model):
    """One signed-in browser. Its row is the only thing that makes its cookies work.

    Only a hash of the key is stored; the key itself lives in the browser's (signed) session
    and remember cookies. Logging out deletes the row, so a copy of either cookie is dead too.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
