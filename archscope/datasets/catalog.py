"""The data sets the recipes use, as data: files, published checksums,
official download locations and where a system package puts them.

Checksums, and where each comes from:
- ``md5``: of the file as its publisher serves it (the ``.gz`` or the
  archive), as published — Fashion-MNIST's README table; MNIST's and
  CIFAR-10's as torchvision's ``datasets/mnist.py`` and ``cifar.py`` list
  them (CIFAR-10's archive MD5 is also on its home page).
- ``sha256``: of the *decompressed* content. A re-compressed copy (Debian's
  ``dataset-fashion-mnist`` re-gzips the upstream files, so its ``.gz`` MD5s
  differ from the README's) passes this check when its content is the
  original. Known for Fashion-MNIST: computed from the decompressed upstream
  content, which also matches the byte sizes the IDX headers imply
  (16 + 60000*28*28 = 47,040,016). For MNIST no decompressed checksum is
  published; its files are checked by the ``.gz`` MD5 where they are the
  original ``.gz``, else by their exact decompressed size only, and
  ``archscope data list`` says so.
- CIFAR-10's per-batch MD5s (torchvision) are of the extracted files.

Sizes in bytes, which bound every download and every read (a mirror that
streams on, or a gzip bomb placed as one of these files, stops there):
- ``download_size``: of the file as its publisher serves it (the HTTP
  Content-Length). MNIST's four ``.gz`` files 9,912,422 / 28,881 /
  1,648,877 / 4,542 (TensorFlow's ``mnist.read_data_sets`` prints them as
  "Successfully downloaded train-images-idx3-ubyte.gz 9912422 bytes");
  Fashion-MNIST's 26,421,880 / 29,515 / 4,422,102 / 5,148 (Keras'
  ``fashion_mnist.load_data`` progress totals, "26421880/26421880", and
  torchvision's from fashion-mnist.s3-website.eu-central-1.amazonaws.com);
  CIFAR-10's archive 170,498,071 (wget's "Length: 170498071" from
  www.cs.toronto.edu, torchvision's progress total).
- ``size``: decompressed. The IDX files' follow from their headers (16 bytes
  and 28 x 28 pixels an image, 8 bytes and one byte a label); CIFAR-10's
  extracted batches are 31,035,704 / 31,035,320 / 31,035,999 / 31,035,696 /
  31,035,623 and test_batch 31,035,526 (``ls -l`` of cifar-10-batches-py,
  as listed in several public copies of it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataFile:
    name: str  # as stored: the upstream name (``train-images-idx3-ubyte.gz``, ``data_batch_1``)
    md5: str | None = None  # of the file as published (compressed where it is a .gz)
    sha256: str | None = None  # of the decompressed content
    size: int | None = None  # decompressed bytes
    download_size: int | None = None  # bytes as published (the .gz, the archive): what a download may be


@dataclass(frozen=True)
class DataSpec:
    name: str
    title: str
    format: str  # idx | cifar-python | none
    files: tuple[DataFile, ...]
    mirrors: tuple[str, ...] = ()  # base URLs, tried in order; a file's URL is base + name
    archive: DataFile | None = None  # one archive holding ``files`` (CIFAR-10)
    folder: str = ""  # the folder the archive extracts ``files`` into
    system_dirs: tuple[str, ...] = ()  # where OS packages install it
    classes: int = 10
    note: str = ""

    @property
    def downloadable(self) -> bool:
        return bool(self.mirrors)


def _idx(stem: str, md5: str, sha256: str | None, size: int, download_size: int) -> DataFile:
    return DataFile(f"{stem}.gz", md5=md5, sha256=sha256, size=size, download_size=download_size)


FASHION_MNIST = DataSpec(
    "fashion-mnist", "Fashion-MNIST (Xiao et al. 2017), 60,000 + 10,000 28x28 grey images", "idx",
    (
        _idx("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
             "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47_040_016, 26_421_880),
        _idx("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe",
             "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_008, 29_515),
        _idx("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79",
             "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7_840_016, 4_422_102),
        _idx("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310",
             "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_008, 5_148),
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    system_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian: dataset-fashion-mnist
)

MNIST = DataSpec(
    "mnist", "MNIST (LeCun et al. 1998), 60,000 + 10,000 28x28 grey digits", "idx",
    (
        _idx("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873", None, 47_040_016, 9_912_422),
        _idx("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432", None, 60_008, 28_881),
        _idx("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3", None, 7_840_016, 1_648_877),
        _idx("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c", None, 10_008, 4_542),
    ),
    # torchvision's mirrors, in its order
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
)

CIFAR10 = DataSpec(
    "cifar10", "CIFAR-10 (Krizhevsky 2009), 50,000 + 10,000 32x32 colour images, python batches", "cifar-python",
    tuple(DataFile(n, md5=m, size=b, download_size=b) for n, m, b in (
        ("data_batch_1", "c99cafc152244af753f735de768cd75f", 31_035_704),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec", 31_035_320),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751", 31_035_999),
        ("data_batch_4", "634d18415352ddfa80567beed471001a", 31_035_696),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb", 31_035_623),
        ("test_batch", "40351d587109b95175f43aff81a1287e", 31_035_526))),
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    archive=DataFile("cifar-10-python.tar.gz", md5="c58f30108f718f92721af3b95e74349a", download_size=170_498_071),
    folder="cifar-10-batches-py",
)

OXFLOWER17 = DataSpec(
    "oxflower17", "Oxford 17 Flowers (Nilsback & Zisserman 2006), 1,360 images in 17 classes", "none", (),
    classes=17,
    note="article 000's AlexNet data set (through tflearn's loader); no checksum is published for it and archscope "
         "has no reader for it: its claim stays 'cannot be checked here'",
)

CATALOG = {s.name: s for s in (MNIST, FASHION_MNIST, CIFAR10, OXFLOWER17)}


def spec(name: str) -> DataSpec:
    from archscope.errors import ArchscopeError

    if name not in CATALOG:
        raise ArchscopeError(f"unknown data set {name!r}; known: {', '.join(CATALOG)}")
    return CATALOG[name]
