"""What keeps the service safe on the open internet: secrets compared safely, limits, headers."""
