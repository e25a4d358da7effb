"""The analysis side: which documents a comparison covers (scope), the like-with-like panel, sources, the data package."""
