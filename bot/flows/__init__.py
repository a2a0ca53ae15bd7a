"""The conversation core: the router sends each event to a flow, which decides what
changes and what is said, inside one `Turn` (one transaction)."""
