"""The shop's own knowledge base (knowledge_base/articles) asked realistic customer questions it was not written
from (`tests/quality/data/shop_probes.csv`): paraphrases of covered topics, near-ties between two topics, and
shop questions it does not cover — English, simplified and traditional Chinese. Reports, with the shipped
decision and with the precision floor switched off (the decision before it), how many were answered right,
answered wrong, got "did you mean" with the right article among the buttons (or without it), or "not sure".

    .venv/bin/python -m bench.shop_probes
"""

from __future__ import annotations

import os

from bench.common import save
from faqbot.settings import REPO_ROOT, Settings
from faqbot.wiring import fusion_weights, retrieval_encoder
from knowledge_base.calibration import fit_calibrator, read_out_of_scope
from knowledge_base.decision import AnswerPolicy
from knowledge_base.markdown import load_folder
from knowledge_base.probes import read_probes, run_probes
from knowledge_base.retrieval import HybridRetriever

PROBES = REPO_ROOT / "tests" / "quality" / "data" / "shop_probes.csv"


def main() -> None:
    settings = Settings.from_env()
    encoder = retrieval_encoder(settings)
    retriever = HybridRetriever.build(load_folder(settings.kb_dir), encoder,
                                      weights=fusion_weights(settings, encoder.model_name))
    probes = read_probes(PROBES)
    results = {}
    for name, precision in (("shipped", "default"), ("without_precision_floor", None)):
        calibrator = (fit_calibrator(retriever, read_out_of_scope()) if precision == "default"
                      else fit_calibrator(retriever, read_out_of_scope(), answer_precision=None))
        result = run_probes(retriever, AnswerPolicy(calibrator=calibrator), probes)
        result["operating_points"] = {language: {"answer_at": round(calibrator.answer_at[language], 4),
                                                 "clarify_at": round(calibrator.clarify_at[language], 4),
                                                 "precision_floor": round(calibrator.precision_at[language], 4)
                                                 if language in calibrator.precision_at else None}
                                      for language in calibrator.coefficients}
        results[name] = result
        print(name, result["operating_points"], "wrong answers", result["wrong_answer_rate"], result["by_kind"])
    save("shop_probes", {"model": encoder.model_name, "load_average": os.getloadavg(), **results})


if __name__ == "__main__":
    main()
