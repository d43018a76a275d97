"""Documents: the content-addressed vault, media types sniffed from the bytes, and which records open a document
(`evidence`)."""
