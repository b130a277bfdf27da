"""Frustration detection for customer messages, English and Chinese."""

from frustration.detector import Assessment, ConversationSoFar, FrustrationDetector, Level, TextScorer, Thresholds
from frustration.lexicon import Reason

__all__ = ["Assessment", "ConversationSoFar", "FrustrationDetector", "Level", "Reason", "TextScorer", "Thresholds"]
