"""The registry: one entry per dataset and pretrained model the course uses.

Each entry says where its files come from (origin URLs), the sha256 of each file whose
bytes we know, how the files lie on disk, and which function writes a generated
fixture in the same format for the ``fast`` profile when the real data is out of reach.

Paths are relative to a data root. The cache (``data/``), a mirror directory and the
fixture folder all use the same layout, so "put the file at <root>/<path>" is the
whole installation instruction.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RemoteFile:
    """One file (or, with ``is_dir``, one folder) of an entry.

    Attributes:
        path: where it lies under a data root, e.g. ``"nlp_getting_started/train.csv"``.
        url: its own origin; ``None`` when it comes out of the entry's archive.
        sha256: the accepted sha256 digests of its bytes; empty when not known.
        member: its path inside the entry's archive (defaults to ``path``'s name).
        is_dir: a folder (image folders, SavedModels); its bytes are not checksummed.
    """

    path: str
    url: str | None = None
    sha256: tuple[str, ...] = ()
    member: str | None = None
    is_dir: bool = False


@dataclass(frozen=True)
class Entry:
    """A dataset or pretrained model, as the data layer knows it."""

    name: str
    description: str
    files: tuple[RemoteFile, ...]
    format: str
    fixture: str | None = None  # "module:function" writing the stand-in; see fixtures/
    archive_url: str | None = None  # a zip/tar the files are extracted from
    archive_sha256: tuple[str, ...] = ()
    size_mb: float = 1.0  # download size; big ones are never fetched in the fast profile
    sha256_note: str = ""  # why a digest is unknown, when it is
    kind: str = "dataset"  # or "model"
    extra: dict = field(default_factory=dict)


_GCS = "https://storage.googleapis.com"
_ZTM = f"{_GCS}/ztm_tf_course"
_NOT_SEEN = "bytes not verified here (no copy was available offline); digest to be added"

ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="insurance",
        description="Medical Cost Personal dataset: age, sex, bmi, children, smoker, region -> charges",
        files=(
            RemoteFile(
                "insurance.csv",
                url="https://raw.githubusercontent.com/stedy/Machine-Learning-with-R-datasets/master/insurance.csv",
                sha256=("505c1cbc2e63d0363bac59501563df2530aadf4cdb9cfee226f4ef32f5468281",),
            ),
        ),
        format="CSV with header age,sex,bmi,children,smoker,region,charges; 1338 rows",
        fixture="helpers.data.fixtures.tabular:write_insurance",
        size_mb=0.06,
    ),
    Entry(
        name="mnist",
        description="MNIST handwritten digits, Keras' mnist.npz layout",
        files=(
            RemoteFile(
                "mnist.npz",
                url=f"{_GCS}/tensorflow/tf-keras-datasets/mnist.npz",
                sha256=(
                    # the official file (the digest Keras checks)
                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                    # a rebuild with identical arrays, as found in some offline mirrors
                    "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
                ),
            ),
        ),
        format="NumPy .npz with x_train (60000x28x28 uint8), y_train, x_test (10000x28x28), y_test",
        fixture="helpers.data.fixtures.small_images:write_mnist_npz",
        size_mb=11.5,
    ),
    Entry(
        name="fashion_mnist",
        description="Fashion-MNIST: 70,000 28x28 greyscale images of 10 clothing classes",
        files=tuple(
            RemoteFile(
                f"fashion-mnist/{f}", url=f"{_GCS}/tensorflow/tf-keras-datasets/{f}"
            )
            for f in (
                "train-labels-idx1-ubyte.gz",
                "train-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
            )
        ),
        format="four gzipped IDX files (the original Fashion-MNIST release layout)",
        fixture="helpers.data.fixtures.small_images:write_fashion_mnist",
        size_mb=30,
        sha256_note=_NOT_SEEN,
    ),
    Entry(
        name="disaster_tweets",
        description="Kaggle 'NLP with Disaster Tweets': 7613 labelled tweets + 3263 test tweets",
        files=(
            RemoteFile(
                "nlp_getting_started/train.csv",
                member="train.csv",
                sha256=("61111c6dc31eaffa34d1e1fa62e2395325c9bc3b38bba1941a5f1ed9b3fa60df",),
            ),
            RemoteFile(
                "nlp_getting_started/test.csv",
                member="test.csv",
                sha256=("33375dc852696331c5ad30d078ea4d20e357b74052be6225fecc2a2b0f468bd2",),
            ),
        ),
        format="two CSVs: train.csv (id,keyword,location,text,target), test.csv (no target)",
        fixture="helpers.data.fixtures.text:write_disaster_tweets",
        archive_url=f"{_ZTM}/nlp_getting_started.zip",
        size_mb=0.6,
        sha256_note="archive digest unknown; the extracted CSVs are verified",
    ),
    Entry(
        name="pubmed_20k_rct",
        description="PubMed 20k RCT, numbers replaced with @: sentences of abstracts labelled by role",
        files=tuple(
            RemoteFile(
                f"pubmed_20k_rct/{f}",
                url=(
                    "https://raw.githubusercontent.com/Franck-Dernoncourt/pubmed-rct/master/"
                    f"PubMed_20k_RCT_numbers_replaced_with_at_sign/{f}"
                ),
            )
            for f in ("train.txt", "dev.txt", "test.txt")
        ),
        format="text: '###<abstract id>' line, then 'LABEL<TAB>sentence' lines, blank line between abstracts",
        fixture="helpers.data.fixtures.text:write_pubmed_rct",
        size_mb=30,
        sha256_note=_NOT_SEEN,
    ),
    Entry(
        name="bitcoin_prices",
        description="Daily Bitcoin prices, CoinDesk export, 2013-10-01 to 2021-05-18",
        files=(
            RemoteFile(
                "BTC_USD_2013-10-01_2021-05-18-CoinDesk.csv",
                url=(
                    "https://raw.githubusercontent.com/mrdbourke/tensorflow-deep-learning/main/"
                    "extras/BTC_USD_2013-10-01_2021-05-18-CoinDesk.csv"
                ),
                sha256=("865dc9835cc911b79ee8fad1b7dbbf70100f684b4a1911394b30b72a8880906a",),
            ),
        ),
        format="CSV: Currency,Date,Closing Price (USD),24h Open (USD),24h High (USD),24h Low (USD)",
        fixture="helpers.data.fixtures.timeseries:write_bitcoin_prices",
        size_mb=0.2,
    ),
    *(
        Entry(
            name=name,
            description=description,
            files=(RemoteFile(name, member=name, is_dir=True),),
            format="image folders: <name>/train/<class>/*.jpg and <name>/test/<class>/*.jpg",
            fixture="helpers.data.fixtures.food:write_food_folders",
            archive_url=f"{_ZTM}/food_vision/{name}.zip",
            size_mb=size_mb,
            sha256_note=_NOT_SEEN,
        )
        for name, description, size_mb in (
            ("pizza_steak", "Food-101 subset: pizza vs. steak, 750 train / 250 test images per class", 100),
            ("10_food_classes_1_percent", "Food-101 subset: 10 classes, 1% of training images", 40),
            ("10_food_classes_10_percent", "Food-101 subset: 10 classes, 10% of training images", 160),
            ("10_food_classes_all_data", "Food-101 subset: 10 classes, all training images", 500),
        )
    ),
)

REGISTRY: dict[str, Entry] = {entry.name: entry for entry in ENTRIES}


def get_entry(name: str) -> Entry:
    """Return the registry entry called ``name``.

    Raises:
        KeyError: naming the entries that do exist.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"No dataset or model called {name!r} in the registry. Known: {', '.join(sorted(REGISTRY))}."
        ) from None
