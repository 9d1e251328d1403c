"""FeedbackLoop: every channel's customer feedback in one place, read in Chinese, handled to the end."""

__version__ = "0.1.0"
