"""How schedules read to people in the checks table."""

from datetime import timedelta

from tocsin.domain.describe import schedule_words
from tocsin.domain.schedule import Cron, Period


def test_a_period_reads_as_an_interval() -> None:
    assert schedule_words(Period(timedelta(days=1))) == "every 1d"


def test_a_cron_expression_reads_aloud_in_its_zone() -> None:
    assert schedule_words(Cron("0 2 * * *", "Asia/Tokyo")) == "At 02:00 (Asia/Tokyo)"
    weekdays = Cron("*/15 9-17 * * 1-5", "Europe/Berlin")
    assert schedule_words(weekdays) == (
        "Every 15 minutes, between 09:00 and 17:59, Monday through Friday (Europe/Berlin)"
    )


def test_a_cron_form_the_describer_cannot_read_is_shown_as_it_is() -> None:
    assert schedule_words(Cron("@daily", "UTC")) == "cron @daily (UTC)"
