"""Text embeddings and the FAISS vector index behind small interfaces."""

from embeddings.cache import CachingEncoder
from embeddings.encoder import HashingEncoder, SentenceTransformerEncoder, TextEncoder
from embeddings.index import IndexManifest, VectorIndex

__all__ = [
    "CachingEncoder",
    "HashingEncoder",
    "IndexManifest",
    "SentenceTransformerEncoder",
    "TextEncoder",
    "VectorIndex",
]
