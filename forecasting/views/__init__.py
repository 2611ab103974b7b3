"""One ``build_<page>(store, options) -> <Page>View | Excuse`` per page of the app: assembly of
what the library computes into what a page shows, no maths and no streamlit."""

from forecasting.views.assumptions import Choices, build_choices
from forecasting.views.capacity import CapacityView, build_capacity
from forecasting.views.data import DataView, build_data
from forecasting.views.forecast import ForecastRequest, ForecastView, build_forecast
from forecasting.views.overview import OutlookView, OverviewView, build_outlook, build_overview
from forecasting.views.review import (
    ReviewView,
    build_anomalies,
    build_review,
    freeze_plan_of_record,
    months_with_cost,
    reviewed_month,
)
from forecasting.views.savings import SavingsView, build_savings

__all__ = [
    "CapacityView",
    "Choices",
    "DataView",
    "ForecastRequest",
    "ForecastView",
    "OutlookView",
    "OverviewView",
    "ReviewView",
    "SavingsView",
    "build_anomalies",
    "build_capacity",
    "build_choices",
    "build_data",
    "build_forecast",
    "build_outlook",
    "build_overview",
    "build_review",
    "build_savings",
    "freeze_plan_of_record",
    "months_with_cost",
    "reviewed_month",
]
