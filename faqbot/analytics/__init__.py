"""Analytics for supervisors: per-conversation roll-ups kept current from what is stored, and the figures
the dashboard shows (faqbot/api/analytics.py), with targets and warning levels per figure."""

from faqbot.analytics.report import AnalyticsReport, Filters, InvalidFilter, ReportBuilder
from faqbot.analytics.rollup import Rollup
from faqbot.analytics.targets import METRICS, InvalidTarget, TargetStore, UnknownMetric

__all__ = ["METRICS", "AnalyticsReport", "Filters", "InvalidFilter", "InvalidTarget", "ReportBuilder", "Rollup",
           "TargetStore", "UnknownMetric"]
