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
from typing import Literal

# Entry.redistribution where the terms neither allow nor forbid passing copies on.
UNSTATED: Literal["unstated"] = "unstated"


@dataclass(frozen=True)
class Check:
    """What a downloaded file (or unpacked folder) must look like before it enters the cache.

    ``helpers.data.checks.check_format`` runs it on the staged copy, before the atomic
    move, so that a truncated transfer or an HTML error page served with status 200 is
    refused even where no digest is known.

    Attributes:
        kind: ``"csv"``, ``"npz"``, ``"idx"`` (gzipped IDX), ``"rct"`` (PubMed RCT text),
            ``"movielens"`` (a MovieLens 100K file: ``columns`` names its fields),
            ``"hdf5"``, ``"saved_model"``, ``"image_folders"`` or ``"tfds"``.
        columns: ``csv``: the exact header.
        rows: an inclusive ``(low, high)`` range: CSV data rows, IDX items (the first
            dimension) or RCT abstracts; ``None`` when not known.
        shape: ``idx``: the dimensions after the first, e.g. ``(28, 28)``.
        arrays: ``npz``: ``(name, shape)`` pairs, ``None`` in a shape accepting any size.
        classes: ``image_folders``: the number of class folders in each split.
    """

    kind: str
    columns: tuple[str, ...] = ()
    rows: tuple[int, int] | None = None
    shape: tuple[int, ...] = ()
    arrays: tuple[tuple[str, tuple[int | None, ...]], ...] = ()
    classes: int | None = None


@dataclass(frozen=True)
class RemoteFile:
    """One file (or, with ``is_dir``, one folder) of an entry.

    Attributes:
        path: where it lies under a data root, e.g. ``"nlp_getting_started/train.csv"``.
        url: its own origin; ``None`` when it comes out of the entry's archive.
        sha256: the accepted sha256 digests of its bytes; empty when not known.
        member: its path inside the entry's archive (defaults to ``path``'s name).
        is_dir: a folder (image folders, SavedModels); its bytes are not checksummed.
        check: the format check its staged download must pass (see :class:`Check`).
    """

    path: str
    url: str | None = None
    sha256: tuple[str, ...] = ()
    member: str | None = None
    is_dir: bool = False
    check: Check | None = None


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
    # The data's terms, one place of truth for the README's "Data and their terms" table and
    # each notebook's data section (helpers.data.terms): the licence or terms in a few words,
    # the origin's own statement of them, the citation it asks for, and whether copies may be
    # passed on: True, False, or UNSTATED where the terms say neither (None: not filled in,
    # which the registry test refuses).
    licence: str = ""
    terms_url: str = ""
    citation: str = ""
    redistribution: bool | Literal["unstated"] | None = None


# The columns of CoinDesk's Bitcoin price export (the format check and the fixture share them).
BITCOIN_COLUMNS = (
    "Currency",
    "Date",
    "Closing Price (USD)",
    "24h Open (USD)",
    "24h High (USD)",
    "24h Low (USD)",
)

# The columns of each MovieLens 100K file (its format check and helpers.recsys share them).
MOVIELENS_RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
MOVIELENS_COLUMNS = {
    "u.data": MOVIELENS_RATING_COLUMNS,
    "u.item": ("item_id", "title", "release_date", "video_release_date", "imdb_url", *(["genre flag"] * 19)),
    "u.user": ("user_id", "age", "gender", "occupation", "zip_code"),
    "u.genre": ("genre", "index"),
    "u.occupation": ("occupation",),
}

_GCS = "https://storage.googleapis.com"
_ZTM = f"{_GCS}/ztm_tf_course"
_MOVIELENS = "https://files.grouplens.org/datasets/movielens/ml-100k"
_NOT_SEEN = (
    "no digest is published (none upstream, none in TFDS's checksum files) and no copy was available "
    "offline; the first verified download is pinned (<cache>/.pins/) and a later one that differs is refused"
)
# Food-101's terms (license_agreement.txt in its archive) cover the subsets made from it too.
_FOOD101_TERMS = dict(
    licence=(
        "images from Foodspotting, owned by their photographers, not by ETH Zurich: any use beyond "
        "scientific fair use must be negotiated with them (Food-101's licence agreement)"
    ),
    terms_url="https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/",
    redistribution=False,
)
_EFFICIENTNET_CITATION = (
    "M. Tan, Q. V. Le. EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks. ICML 2019"
)
_RESNET_V2_CITATION = (
    "K. He, X. Zhang, S. Ren, J. Sun. Identity Mappings in Deep Residual Networks. arXiv:1603.05027, 2016"
)
_FOOD101_CITATION = (
    "L. Bossard, M. Guillaumin, L. Van Gool. Food-101 - Mining Discriminative Components with "
    "Random Forests. ECCV 2014"
)

ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="insurance",
        description="Medical Cost Personal dataset: age, sex, bmi, children, smoker, region -> charges",
        files=(
            RemoteFile(
                "insurance.csv",
                url="https://raw.githubusercontent.com/stedy/Machine-Learning-with-R-datasets/master/insurance.csv",
                sha256=("505c1cbc2e63d0363bac59501563df2530aadf4cdb9cfee226f4ef32f5468281",),
                check=Check(
                    "csv",
                    columns=("age", "sex", "bmi", "children", "smoker", "region", "charges"),
                    rows=(1338, 1338),
                ),
            ),
        ),
        format="CSV with header age,sex,bmi,children,smoker,region,charges; 1338 rows",
        fixture="helpers.data.fixtures.tabular:write_insurance",
        size_mb=0.06,
        licence=(
            "no licence from its author (sample data of the book Machine Learning with R); the GitHub "
            "copy's README calls its files public domain"
        ),
        terms_url="https://github.com/stedy/Machine-Learning-with-R-datasets",
        citation="B. Lantz. Machine Learning with R. Packt Publishing, 2013 (chapter 6's data set)",
        redistribution=UNSTATED,
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
                check=Check(
                    "npz",
                    arrays=(
                        ("x_train", (60000, 28, 28)),
                        ("y_train", (60000,)),
                        ("x_test", (10000, 28, 28)),
                        ("y_test", (10000,)),
                    ),
                ),
            ),
        ),
        format="NumPy .npz with x_train (60000x28x28 uint8), y_train, x_test (10000x28x28), y_test",
        fixture="helpers.data.fixtures.small_images:write_mnist_npz",
        size_mb=11.5,
        licence="CC BY-SA 3.0; copyright Yann LeCun and Corinna Cortes (a derivative of NIST's data)",
        terms_url="https://keras.io/api/datasets/mnist/",
        citation="Y. LeCun, C. Cortes, C. J. C. Burges. The MNIST database of handwritten digits",
        redistribution=True,
    ),
    Entry(
        name="fashion_mnist",
        description="Fashion-MNIST: 70,000 28x28 greyscale images of 10 clothing classes",
        files=tuple(
            RemoteFile(
                f"fashion-mnist/{f}",
                url=f"{_GCS}/tensorflow/tf-keras-datasets/{f}",
                sha256=(sha256,),
                check=Check("idx", rows=(n, n), shape=shape),
            )
            # the official release's digests (zalandoresearch/fashion-mnist, data/fashion/)
            for f, n, shape, sha256 in (
                (
                    "train-labels-idx1-ubyte.gz", 60000, (),
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                ),
                (
                    "train-images-idx3-ubyte.gz", 60000, (28, 28),
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                ),
                (
                    "t10k-labels-idx1-ubyte.gz", 10000, (),
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                ),
                (
                    "t10k-images-idx3-ubyte.gz", 10000, (28, 28),
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                ),
            )
        ),
        format="four gzipped IDX files (the original Fashion-MNIST release layout)",
        fixture="helpers.data.fixtures.small_images:write_fashion_mnist",
        size_mb=30,
        licence="MIT; copyright Zalando SE",
        terms_url="https://github.com/zalandoresearch/fashion-mnist/blob/master/LICENSE",
        citation=(
            "H. Xiao, K. Rasul, R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for Benchmarking "
            "Machine Learning Algorithms. arXiv:1708.07747, 2017"
        ),
        redistribution=True,
    ),
    Entry(
        name="disaster_tweets",
        description="Kaggle 'NLP with Disaster Tweets': 7613 labelled tweets + 3263 test tweets",
        files=(
            RemoteFile(
                "nlp_getting_started/train.csv",
                member="train.csv",
                sha256=("61111c6dc31eaffa34d1e1fa62e2395325c9bc3b38bba1941a5f1ed9b3fa60df",),
                check=Check(
                    "csv", columns=("id", "keyword", "location", "text", "target"), rows=(7613, 7613)
                ),
            ),
            RemoteFile(
                "nlp_getting_started/test.csv",
                member="test.csv",
                sha256=("33375dc852696331c5ad30d078ea4d20e357b74052be6225fecc2a2b0f468bd2",),
                check=Check("csv", columns=("id", "keyword", "location", "text"), rows=(3263, 3263)),
            ),
        ),
        format="two CSVs: train.csv (id,keyword,location,text,target), test.csv (no target)",
        fixture="helpers.data.fixtures.text:write_disaster_tweets",
        archive_url=f"{_ZTM}/nlp_getting_started.zip",
        size_mb=0.6,
        sha256_note="archive digest unknown; the extracted CSVs are verified",
        licence=(
            "a Kaggle competition's data, used under that competition's rules (accepted on joining it); "
            "no open licence; created by Figure Eight and first shared on its Data For Everyone site"
        ),
        terms_url="https://www.kaggle.com/competitions/nlp-getting-started/rules",
        citation="Kaggle. Natural Language Processing with Disaster Tweets (nlp-getting-started)",
        redistribution=UNSTATED,
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
                # abstracts per split, as published (Dernoncourt & Lee 2017, table 1)
                check=Check("rct", rows=(n, n)),
            )
            for f, n in (("train.txt", 15000), ("dev.txt", 2500), ("test.txt", 2500))
        ),
        format="text: '###<abstract id>' line, then 'LABEL<TAB>sentence' lines, blank line between abstracts",
        fixture="helpers.data.fixtures.text:write_pubmed_rct",
        size_mb=30,
        sha256_note=_NOT_SEEN + "; every file is parsed in full before it enters the cache",
        licence=(
            "no licence: built from the 2016 MEDLINE/PubMed baseline, which NLM provides freely, though "
            "some abstracts may be protected by copyright (the authors' README)"
        ),
        terms_url="https://github.com/Franck-Dernoncourt/pubmed-rct#license",
        citation=(
            "F. Dernoncourt, J. Y. Lee. PubMed 200k RCT: a Dataset for Sequential Sentence "
            "Classification in Medical Abstracts. IJCNLP 2017"
        ),
        redistribution=UNSTATED,
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
                check=Check(
                    "csv",
                    columns=BITCOIN_COLUMNS,
                    rows=(2787, 2787),
                ),
            ),
        ),
        format="CSV: Currency,Date,Closing Price (USD),24h Open (USD),24h High (USD),24h Low (USD)",
        fixture="helpers.data.fixtures.timeseries:write_bitcoin_prices",
        size_mb=0.2,
        licence=(
            "CoinDesk Bitcoin Price Index data: free to use with the credit \"Powered by CoinDesk\" "
            "(its price API's terms); the CSV export states no licence of its own"
        ),
        terms_url="https://www.coindesk.com/API",
        citation=(
            "CoinDesk Bitcoin Price Index (USD), daily, 2013-10-01 to 2021-05-18; the CSV as published "
            "by the Zero to Mastery TensorFlow course (github.com/mrdbourke/tensorflow-deep-learning)"
        ),
        redistribution=UNSTATED,
    ),
    # MovieLens 100K: the files of GroupLens' official ml-100k/ folder (ml-100k.zip from the same
    # site holds the same files). The GroupLens terms forbid redistribution: downloaded, never
    # committed. Parsed, with errors naming file and line, by helpers.recsys.
    Entry(
        name="movielens_100k",
        description="MovieLens 100K: 100,000 ratings 1-5, 943 users, 1,682 movies, genres, demographics",
        files=tuple(
            RemoteFile(
                f"ml-100k/{f}",
                url=f"{_MOVIELENS}/{f}",
                sha256=(sha256,),
                check=Check("movielens", columns=MOVIELENS_COLUMNS.get(f, MOVIELENS_RATING_COLUMNS)),
            )
            for f, sha256 in (
                ("u.data", "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"),
                ("u.item", "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"),
                ("u.user", "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"),
                ("u.genre", "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"),
                ("u.occupation", "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d"),
                ("u1.base", "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"),
                ("u1.test", "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"),
                ("u2.base", "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"),
                ("u2.test", "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"),
                ("u3.base", "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"),
                ("u3.test", "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"),
                ("u4.base", "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"),
                ("u4.test", "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"),
                ("u5.base", "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"),
                ("u5.test", "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"),
                ("ua.base", "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"),
                ("ua.test", "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"),
                ("ub.base", "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"),
                ("ub.test", "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"),
            )
        ),
        format=(
            "ml-100k/: u.data (user<TAB>item<TAB>rating<TAB>timestamp), u.item and u.user "
            "('|'-separated, latin-1), u.genre, u.occupation, folds u1-u5 and ua/ub (.base/.test)"
        ),
        fixture="helpers.data.fixtures.ratings:write_movielens_100k",
        size_mb=16,
        licence="GroupLens research licence: non-commercial research use, acknowledgement required",
        terms_url=f"{_MOVIELENS}/README",
        citation=(
            "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. "
            "ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4, Article 19 (December 2015), "
            "19 pages. DOI=http://dx.doi.org/10.1145/2827872"
        ),
        redistribution=False,
        extra={"archive": "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
               "archive_sha256": "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"},
    ),
    *(
        Entry(
            name=name,
            description=description,
            files=(
                RemoteFile(name, member=name, is_dir=True, check=Check("image_folders", classes=classes)),
            ),
            format="image folders: <name>/train/<class>/*.jpg and <name>/test/<class>/*.jpg",
            fixture="helpers.data.fixtures.food:write_food_folders",
            archive_url=f"{_ZTM}/food_vision/{name}.zip",
            size_mb=size_mb,
            sha256_note=_NOT_SEEN,
            **_FOOD101_TERMS,
            citation=(
                f"{_FOOD101_CITATION}; subset made by the Zero to Mastery TensorFlow course "
                "(github.com/mrdbourke/tensorflow-deep-learning, extras/image_data_modification.ipynb)"
            ),
        )
        for name, description, size_mb, classes in (
            (
                "pizza_steak",
                "Food-101 subset: pizza vs. steak, 750 train / 250 test images per class",
                100,
                2,
            ),
            ("10_food_classes_1_percent", "Food-101 subset: 10 classes, 1% of training images", 40, 10),
            ("10_food_classes_10_percent", "Food-101 subset: 10 classes, 10% of training images", 160, 10),
            ("10_food_classes_all_data", "Food-101 subset: 10 classes, all training images", 500, 10),
        )
    ),
    # The Free Spoken Digit Dataset's GitHub release archive (the archive tensorflow_datasets
    # downloads for spoken_digit). It stays packed: helpers.audio.load_spoken_digits reads
    # recordings/{digit}_{speaker}_{index}.wav straight out of it, so nothing is ever half
    # extracted, and a mirror or cache copy is used in place.
    Entry(
        name="spoken_digit",
        description="Free Spoken Digit Dataset v1.0.9: 2,500 8 kHz mono WAVs, 5 speakers x 10 digits x 50",
        files=(
            RemoteFile(
                "spoken-digit/free-spoken-digit-dataset-1.0.9.tar.gz",
                url="https://github.com/Jakobovski/free-spoken-digit-dataset/archive/v1.0.9.tar.gz",
                # 11,975,353 bytes; equal to tensorflow_datasets' checksum for spoken_digit
                sha256=("8bc44cde129d505cbbb6b365c09f80c663f2aa77578afc634e6141a2f87100c0",),
                # 2,500 in the release; the fast-profile fixture writes fewer, same layout
                check=Check("spoken_digits", rows=(100, 2500)),
            ),
        ),
        format=(
            "gzipped tar: free-spoken-digit-dataset-1.0.9/recordings/{digit}_{speaker}_{index}.wav "
            "(8 kHz mono 16-bit PCM), plus the repository's README and scripts"
        ),
        fixture="helpers.data.fixtures.audio:write_spoken_digits",
        size_mb=12,
        extra={"recordings_dir": "recordings", "sample_rate": 8000},
        licence="CC BY-SA 4.0",
        terms_url="https://github.com/Jakobovski/free-spoken-digit-dataset#license",
        citation=(
            "Zohar Jackson, César Souza, Jason Flaks, Yuxin Pan, Hereman Nicolas and Adhish Thite: "
            "Jakobovski/free-spoken-digit-dataset, Zenodo, doi:10.5281/zenodo.1342401"
        ),
        redistribution=True,
    ),
    # Food-101 in full, through tensorflow_datasets: TFDS downloads the archive from its
    # origin, checks it against its own registered checksum and prepares TFRecord shards.
    # helpers.food101.load_food101 passes TFDS the data_dir <cache>/tensorflow_datasets
    # (or <mirror>/tensorflow_datasets); the fast profile uses tfds.testing.mock_data.
    Entry(
        name="food101",
        description="Food-101: 101 food classes, 75,750 train / 25,250 validation (test) images",
        files=(RemoteFile("tensorflow_datasets/food101", is_dir=True, check=Check("tfds")),),
        format="TFDS-prepared: tensorflow_datasets/food101/<version>/ (dataset_info.json, TFRecord shards)",
        fixture=None,  # no fixture: helpers.food101.load_food101 uses tfds.testing.mock_data
        archive_url="http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz",
        size_mb=4650,
        sha256_note="downloaded and verified by tensorflow_datasets (its own checksums), not here",
        extra={"tfds_name": "food101", "tfds_data_dir": "tensorflow_datasets"},
        **_FOOD101_TERMS,
        citation=_FOOD101_CITATION,
    ),
    # TF Hub modules (tfhub.dev now redirects to Kaggle Models). The compressed form of a
    # handle is a .tar.gz of the SavedModel folder itself (saved_model.pb at its root),
    # hence member=".". Loaded with helpers.hub.HubLayer; the fixtures have the same
    # signatures and random weights.
    *(
        Entry(
            name=name,
            description=description,
            files=(RemoteFile(f"hub/{folder}", member=".", is_dir=True, check=Check("saved_model")),),
            format=f"TF2 SavedModel folder (saved_model.pb, variables/): {signature}",
            fixture=f"helpers.data.fixtures.savedmodels:{writer}",
            archive_url=f"{handle}?tf-hub-format=compressed",
            size_mb=size_mb,
            sha256_note=(
                "the archive is served by Kaggle Models; no digest was published or seen offline; the first "
                "verified download is pinned (<cache>/.pins/) and a later one that differs is refused"
            ),
            kind="model",
            extra={"hub_handle": handle, **extra},
            # tfhub.dev's default licence; none of these model pages names another.
            licence="Apache-2.0 (TensorFlow Hub's default licence; the model's page names no other)",
            terms_url=f"https://github.com/tensorflow/tfhub.dev/blob/master/assets/docs/{doc}",
            citation=citation,
            redistribution=True,
        )
        for name, description, folder, handle, signature, writer, size_mb, extra, doc, citation in (
            (
                "universal_sentence_encoder",
                "Universal Sentence Encoder v4 (DAN): English sentences -> 512-d vectors",
                "universal_sentence_encoder_4",
                "https://tfhub.dev/google/universal-sentence-encoder/4",
                "module(tf.string [batch]) -> float32 [batch, 512]",
                "write_sentence_encoder",
                1000,  # about 1 GB
                {"output_dim": 512},
                "google/models/universal-sentence-encoder/4.md",
                "D. Cer et al. Universal Sentence Encoder. arXiv:1803.11175, 2018",
            ),
            (
                "efficientnet_b0_feature_vector",
                "EfficientNet-B0 trained on ImageNet, classification head removed (TF Hub feature vector)",
                "efficientnet_b0_feature_vector_1",
                "https://tfhub.dev/tensorflow/efficientnet/b0/feature-vector/1",
                "module(float32 [batch, 224, 224, 3] in [0, 1], training=False) -> float32 [batch, 1280]",
                "write_image_feature_vector",
                20,  # about
                {"output_dim": 1280, "image_size": 224},
                "tensorflow/models/efficientnet/b0/feature-vector/1.md",
                _EFFICIENTNET_CITATION,
            ),
            (
                "resnet_v2_50_feature_vector",
                "ResNet-50 v2 trained on ImageNet, classification head removed (TF Hub feature vector)",
                "resnet_v2_50_feature_vector_5",
                "https://tfhub.dev/google/imagenet/resnet_v2_50/feature_vector/5",
                "module(float32 [batch, 224, 224, 3] in [0, 1], training=False) -> float32 [batch, 2048]",
                "write_image_feature_vector",
                95,  # about
                {"output_dim": 2048, "image_size": 224},
                "google/models/imagenet/resnet_v2_50/feature_vector/5.md",
                _RESNET_V2_CITATION,
            ),
        )
    ),
    # ImageNet weights of keras.applications backbones without their classification
    # head ("notop"): the very files keras.applications downloads into ~/.keras/models.
    # Keras publishes md5 digests for them (in keras/src/applications/*.py), which
    # helpers.pretrained checks; their sha256 is not published.
    *(
        Entry(
            name=name,
            description=description,
            files=(
                RemoteFile(f"keras_applications/{filename}", url=f"{base}{filename}", check=Check("hdf5")),
            ),
            format="HDF5 weights file (Keras legacy .h5 layout), keras.applications with include_top=False",
            fixture=None,  # no fixture: helpers.pretrained builds the model with random weights instead
            size_mb=size_mb,
            sha256_note=(
                "sha256 not published; Keras' md5 (extra['md5']) is checked before the file enters the cache"
            ),
            kind="model",
            extra={"application": application, "md5": md5},
            licence=(
                "not stated: Keras publishes these ImageNet weights with no licence of their own "
                "(Keras' code, which downloads them, is Apache-2.0)"
            ),
            terms_url="https://keras.io/api/applications/",
            citation=citation,
            redistribution=UNSTATED,
        )
        for name, description, application, base, filename, md5, size_mb, citation in (
            (
                "efficientnetv2b0_notop",
                "keras.applications.EfficientNetV2B0 ImageNet weights, no top",
                "EfficientNetV2B0",
                f"{_GCS}/tensorflow/keras-applications/efficientnet_v2/",
                "efficientnetv2-b0_notop.h5",
                "893217f2bb855e2983157299931e43ff",
                24,  # about
                "M. Tan, Q. V. Le. EfficientNetV2: Smaller Models and Faster Training. ICML 2021",
            ),
            (
                "efficientnetb0_notop",
                "keras.applications.EfficientNetB0 ImageNet weights, no top",
                "EfficientNetB0",
                f"{_GCS}/keras-applications/",
                "efficientnetb0_notop.h5",
                "50bc09e76180e00e4465e1a485ddc09d",
                16,  # about
                _EFFICIENTNET_CITATION,
            ),
            (
                "resnet50v2_notop",
                "keras.applications.ResNet50V2 ImageNet weights, no top",
                "ResNet50V2",
                f"{_GCS}/tensorflow/keras-applications/resnet/",
                "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "fac2f116257151a9d068a22e544a4917",
                95,  # about
                _RESNET_V2_CITATION,
            ),
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
