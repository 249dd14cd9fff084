"""The 17 components of the Model Openness Framework and its three cumulative classes.

Source: the Model Openness Framework (LF AI & Data, arXiv:2403.13784) as implemented by its
reference tool, the Model Openness Tool (github.com/lfai/model_openness_tool,
`web/modules/mof/config/install/mof.settings.yml`, commit 8b5d30e of 2026-05-11): each component's
class, whether the class requires it, and its content type (code, data, document). A class is
reached when every required component of it and of the classes below it is released under an open
license; the technical report may be replaced by a research paper (`ModelEvaluator.php`).
"""

from __future__ import annotations

import dataclasses

CODE, DATA, DOCUMENT = "code", "data", "document"
CLASS_NAMES = {3: "Class III - Open Model", 2: "Class II - Open Tooling", 1: "Class I - Open Science"}


@dataclasses.dataclass(frozen=True)
class Component:
    id: str  # our key, used in releasekit.toml [openness] and in the JSON section
    name: str  # the MOF's name
    mof_class: int  # 3, 2 or 1: the lowest class that asks for it
    required: bool
    type: str  # code, data or document: which licenses fit it
    description: str


COMPONENTS: tuple[Component, ...] = (
    Component(
        "model_architecture", "Model architecture", 3, True, CODE, "well-commented code for the model's architecture"
    ),
    Component("model_parameters", "Model parameters (Final)", 3, True, DATA, "the trained weights and biases"),
    Component("model_card", "Model card", 3, True, DOCUMENT, "model details, intended use, limitations, performance"),
    Component(
        "data_card",
        "Data card",
        3,
        True,
        DOCUMENT,
        "documentation of the datasets: sources, composition, preprocessing",
    ),
    Component(
        "technical_report",
        "Technical report",
        3,
        True,
        DOCUMENT,
        "a report on the model's capabilities and use (a research paper may replace it)",
    ),
    Component("evaluation_results", "Evaluation results", 3, True, DOCUMENT, "the results of evaluating the model"),
    Component("sample_model_outputs", "Sample model outputs", 3, False, DOCUMENT, "examples of outputs of the model"),
    Component("training_code", "Training code", 2, True, CODE, "the code used to train the model"),
    Component("inference_code", "Inference code", 2, True, CODE, "the code that runs the model"),
    Component("evaluation_code", "Evaluation code", 2, True, CODE, "the code that evaluated the model"),
    Component("evaluation_data", "Evaluation data", 2, True, DATA, "the data the model was evaluated on"),
    Component(
        "supporting_libraries",
        "Supporting libraries and tools",
        2,
        False,
        CODE,
        "libraries and tools used to develop the model",
    ),
    Component("datasets", "Datasets", 1, True, DATA, "the training, validation and test datasets"),
    Component(
        "data_preprocessing_code",
        "Data preprocessing code",
        1,
        True,
        CODE,
        "code that cleans, filters, deduplicates or augments the data",
    ),
    Component(
        "intermediate_checkpoints",
        "Model parameters (Intermediate)",
        1,
        True,
        DATA,
        "checkpoints saved during training",
    ),
    Component("research_paper", "Research paper", 1, True, DOCUMENT, "the paper on how the model was developed"),
    Component(
        "model_metadata", "Model metadata", 1, False, DATA, "training configuration, hyperparameters, optimizer states"
    ),
)
BY_ID = {c.id: c for c in COMPONENTS}
CONTENT_TYPES = (CODE, DATA, DOCUMENT)


def required_for(mof_class: int) -> list[Component]:
    """Every component class `mof_class` requires (classes are cumulative: I needs II needs III)."""
    return [c for c in COMPONENTS if c.required and c.mof_class >= mof_class]
