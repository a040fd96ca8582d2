"""The one BibTeX entry of the Value Portrait paper (ACL Anthology 2025.acl-long.838), used by the dataset
builder, the card and the metric."""

CITATION = """\
@inproceedings{han-etal-2025-value,
    title = "Value Portrait: Assessing Language Models' Values through Psychometrically and Ecologically Valid Items",
    author = "Han, Jongwook and Choi, Dongmin and Song, Woojung and Lee, Eun-Ju and Jo, Yohan",
    booktitle = "Proceedings of the 63rd Annual Meeting of the Association for Computational Linguistics (Volume 1: Long Papers)",
    year = "2025",
    address = "Vienna, Austria",
    publisher = "Association for Computational Linguistics",
    pages = "17119--17159",
    doi = "10.18653/v1/2025.acl-long.838",
    url = "https://aclanthology.org/2025.acl-long.838/",
}
"""
