"""Text embeddings and the FAISS vector index behind small interfaces."""

from embeddings.batching import BatchingEncoder, MicroBatcher, limit_model_threads, model_executor
from embeddings.cache import CachingEncoder
from embeddings.encoder import HashingEncoder, SentenceTransformerEncoder, TextEncoder
from embeddings.index import IndexManifest, VectorIndex

__all__ = [
    "BatchingEncoder",
    "MicroBatcher",
    "limit_model_threads",
    "model_executor",
    "CachingEncoder",
    "HashingEncoder",
    "IndexManifest",
    "SentenceTransformerEncoder",
    "TextEncoder",
    "VectorIndex",
]
