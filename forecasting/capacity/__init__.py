"""Capacity planning: demand paths to instances and cost per quarter (``plan``), and the
plan and runway read from a Store (``service``)."""
