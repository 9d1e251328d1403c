"""Measure and improve (SPEC §6, §8): themes over time, improvement plans and their effect, the periodic report.

The other half of the loop from `workflow/`, which handles single items."""

from feedbackloop.insight.periodic import PeriodReport, build_report, period_bounds

__all__ = ["PeriodReport", "build_report", "period_bounds"]
