"""The hand-written `when` filter says exactly what Babel's formatter would, in both languages."""
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import format_datetime

from app.core.i18n import DATETIME_PATTERNS, when


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_when_matches_babel_for_every_hour_and_weekday(app, lang):
    start = datetime(2026, 11, 21, 0, 7, tzinfo=timezone.utc)
    for step in range(0, 24 * 8, 5):
        moment = start + timedelta(hours=step)
        with app.test_request_context(headers={"Accept-Language": lang}):
            assert when(moment) == format_datetime(moment, DATETIME_PATTERNS[lang])
