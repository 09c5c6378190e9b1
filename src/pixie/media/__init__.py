"""Image processing: decoding, cleaning and deriving renditions of uploads."""
