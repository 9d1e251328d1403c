"""Reports over stored feedback (SPEC §8): the periodic report, for the CLI and later the web UI."""

from feedbackloop.reports.periodic import PeriodReport, build_report, period_bounds

__all__ = ["PeriodReport", "build_report", "period_bounds"]
