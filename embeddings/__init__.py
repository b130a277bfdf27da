"""Text embeddings and the FAISS vector index behind small interfaces."""

from embeddings.encoder import HashingEncoder, SentenceTransformerEncoder, TextEncoder
from embeddings.index import IndexManifest, VectorIndex

__all__ = [
    "HashingEncoder",
    "IndexManifest",
    "SentenceTransformerEncoder",
    "TextEncoder",
    "VectorIndex",
]
