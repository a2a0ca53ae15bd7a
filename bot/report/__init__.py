"""`supportbot report`: the support team's figures, as text, JSON or one HTML page."""
