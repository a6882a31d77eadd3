# A file with only comments is valid; it adds nothing.
