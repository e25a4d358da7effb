"""The audit of a document's own statements: one value per figure, and the standard tables it should hold."""
