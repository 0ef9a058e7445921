"""Object detection and segmentation on scenes composed from real digits (notebook 19).

- :func:`compose_scenes`: a seeded scene composer. Each scene is a square canvas with 1 to
  ``max_digits`` MNIST digits at random positions and scales, with its boxes, class
  labels, a per-pixel class mask and a difficulty tag: ``clean`` (digits apart),
  ``touching`` (two digits touch or overlap) or ``cluttered`` (fragments of other digits and
  noise that are background in the mask).
- Boxes: :func:`convert_boxes` between ``xyxy``, ``xywh``, ``cxcywh`` and ``yxyx``,
  :func:`box_iou` (pairwise IoU) and :func:`nms` (``tf.image.non_max_suppression``, per class).
- :func:`mean_average_precision`: COCO mAP@0.5 and mAP@[.5:.95], computed by ``pycocotools``.
- The rule baseline: :func:`connected_components` (threshold, ``scipy.ndimage.label``, a box
  per component), :func:`crop_digits` (MNIST-style crops for a digit classifier) and
  :func:`rule_detect` (both, plus the classifier: boxes, labels, scores and a class mask).
- CenterNet-style targets: :func:`encode_centernet` (class heat-maps, sizes, offsets),
  :func:`centernet_loss` (penalty-reduced focal loss plus L1 at the centres) and
  :func:`decode_centernet` (peaks, boxes, NMS).
- :func:`draw_boxes`: boxes and labels drawn on a Matplotlib axis.

Conventions: boxes are ``float32`` arrays of shape ``(k, 4)`` in pixels; ``xyxy`` means
``(x_min, y_min, x_max, y_max)`` with pixel *edges*, so a digit whose ink covers columns 3 to
12 has ``x_min = 3`` and ``x_max = 13`` (width 10). Masks hold ``0`` for background and
``d + 1`` for digit ``d``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

DIFFICULTIES: tuple[str, ...] = ("clean", "touching", "cluttered")
"""Scene difficulty tags, in the order :func:`compose_scenes` cycles through them."""
BACKGROUND = 0
"""Mask value of background pixels; digit ``d`` has mask value ``d + 1``."""
INK = 0.3
"""Pixel value from which a digit's pixel counts as ink (its box and mask)."""
BOX_FORMATS: tuple[str, ...] = ("xyxy", "xywh", "cxcywh", "yxyx")


@dataclass
class Scenes:
    """Composed scenes: images, per-pixel class masks, boxes, labels and difficulty tags."""

    images: np.ndarray
    """``(n, size, size)`` float32 in [0, 1]."""
    masks: np.ndarray
    """``(n, size, size)`` int32: 0 background, ``d + 1`` digit ``d``."""
    boxes: list[np.ndarray]
    """One ``(k, 4)`` float32 ``xyxy`` array per scene (the whole digit, occluded parts included)."""
    labels: list[np.ndarray]
    """One ``(k,)`` int32 array of digit classes per scene."""
    difficulty: np.ndarray
    """``(n,)`` strings from :data:`DIFFICULTIES`."""

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index: np.ndarray | Sequence[int]) -> Scenes:
        """The scenes at ``index`` (integer positions or a boolean mask), as a new :class:`Scenes`."""
        positions = np.arange(len(self))[np.asarray(index)]
        return Scenes(self.images[positions], self.masks[positions], [self.boxes[i] for i in positions],
                      [self.labels[i] for i in positions], self.difficulty[positions])


def _ink_crop(digit: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(digit >= INK)
    return digit[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def _resize(glyph: np.ndarray, height: int) -> np.ndarray:
    factor = height / glyph.shape[0]
    return np.clip(ndimage.zoom(glyph, factor, order=1), 0.0, 1.0).astype("float32")


def _free(box: tuple[int, int, int, int], taken: list[tuple[int, int, int, int]], margin: int) -> bool:
    x0, y0, x1, y1 = box
    return all(x1 + margin <= a0 or a1 + margin <= x0 or y1 + margin <= b0 or b1 + margin <= y0
               for a0, b0, a1, b1 in taken)


def _place(shape: tuple[int, int], boxes: list, size: int, touch: bool,
           rng: np.random.Generator) -> tuple[int, int] | None:
    """A free top-left corner for a glyph of ``shape``: against ``boxes[0]`` if ``touch``, else apart."""
    h, w = shape
    for _ in range(100):
        if touch:
            a0, b0, a1, _b1 = boxes[0]
            overlap = int(rng.integers(1, 5))
            x = a1 - overlap if rng.integers(2) else a0 - w + overlap
            y = b0 + int(rng.integers(-(h // 4), h // 4 + 1))
            fits = 0 <= x <= size - w and 0 <= y <= size - h
            if fits and _free((x, y, x + w, y + h), boxes[1:], 2):
                return x, y
        else:
            x, y = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
            if _free((x, y, x + w, y + h), boxes, 2):
                return x, y
    return None


def _check_digits(digits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or len(digits) == 0:
        raise ValueError(f"digits must have shape (n, height, width) with n >= 1, got shape {digits.shape}.")
    if labels.shape != (len(digits),):
        raise ValueError(f"labels must have shape ({len(digits)},), one class per digit, got {labels.shape}.")
    if digits.dtype == np.uint8 or digits.max() > 1.0:
        digits = digits.astype("float32") / 255.0
    return digits.astype("float32"), labels.astype("int32")


def compose_scenes(digits: np.ndarray, labels: np.ndarray, n_scenes: int, size: int = 64,
                   max_digits: int = 4, scale: tuple[int, int] = (16, 28), seed: int = 0) -> Scenes:
    """Compose ``n_scenes`` seeded scenes from ``digits`` (cycling clean, touching, cluttered).

    Each digit is cropped to its ink, resized to a height drawn from ``scale`` (pixels) and
    pasted with a maximum (a brighter stroke wins a pixel where two digits overlap). Clean
    and cluttered scenes keep at least 2 pixels between digit boxes; in a touching scene the
    second digit is pasted against the first, its box overlapping by 1 to 4 pixels. A
    cluttered scene adds 2 to 4 fragments of other digits in free space and Gaussian noise
    (sd 0.05); both are background in the mask. The same arguments give the same scenes.

    Args:
        digits: ``(n, 28, 28)`` images (uint8 0-255 or float 0-1), e.g. MNIST training digits
            for training and validation scenes and test digits for test scenes.
        labels: ``(n,)`` digit classes.
        n_scenes: how many scenes.
        size: canvas side in pixels.
        max_digits: most digits per scene (at least 1; touching scenes have at least 2).
        scale: smallest and largest digit height in pixels.
        seed: seeds NumPy's generator for positions, scales, digit choice and clutter.
    """
    digits, labels = _check_digits(digits, labels)
    if n_scenes < 1:
        raise ValueError(f"n_scenes must be at least 1, got {n_scenes}.")
    if max_digits < 2:
        raise ValueError(f"max_digits must be at least 2 (touching scenes need two digits), "
                         f"got {max_digits}.")
    if not (4 <= scale[0] <= scale[1] <= size // 2):
        raise ValueError(f"scale must be (low, high) with 4 <= low <= high <= size // 2 = {size // 2}, "
                         f"got {scale}.")
    rng = np.random.default_rng(seed)
    images = np.zeros((n_scenes, size, size), "float32")
    masks = np.zeros((n_scenes, size, size), "int32")
    all_boxes, all_labels = [], []
    difficulty = np.array([DIFFICULTIES[i % len(DIFFICULTIES)] for i in range(n_scenes)])
    for i in range(n_scenes):
        canvas, mask, kind = images[i], masks[i], difficulty[i]
        boxes: list[tuple[int, int, int, int]] = []
        classes: list[int] = []
        wanted = int(rng.integers(2 if kind == "touching" else 1, max_digits + 1))
        for j in range(wanted):
            pick = int(rng.integers(len(digits)))
            height = int(rng.integers(scale[0], scale[1] + 1))
            spot = None
            for _ in range(5):  # a touching scene's second digit shrinks until it fits beside the first
                glyph = _resize(_ink_crop(digits[pick]), height)
                rows, cols = np.nonzero(glyph >= INK)
                glyph = glyph[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
                spot = _place(glyph.shape, boxes, size, kind == "touching" and j == 1, rng)
                if spot is not None or not (kind == "touching" and j == 1):
                    break
                height = max(scale[0], int(height * 0.8))
            if spot is None:
                continue
            (x, y), (h, w) = spot, glyph.shape
            region, owner = canvas[y:y + h, x:x + w], mask[y:y + h, x:x + w]
            wins = (glyph >= INK) & (glyph > region)
            owner[wins] = labels[pick] + 1
            np.maximum(region, glyph, out=region)
            boxes.append((x, y, x + w, y + h))
            classes.append(int(labels[pick]))
        if kind == "cluttered":
            for _ in range(int(rng.integers(2, 5))):
                source = _ink_crop(digits[int(rng.integers(len(digits)))])
                fh, fw = (int(rng.integers(5, 11)), int(rng.integers(5, 11)))
                rows, cols = np.nonzero(source >= INK)
                centre = int(rng.integers(len(rows)))  # a window around an ink pixel: never empty
                fy = int(np.clip(rows[centre] - fh // 2, 0, max(source.shape[0] - fh, 0)))
                fx = int(np.clip(cols[centre] - fw // 2, 0, max(source.shape[1] - fw, 0)))
                piece = source[fy:fy + fh, fx:fx + fw]
                ph, pw = piece.shape
                for _ in range(100):
                    x, y = int(rng.integers(0, size - pw + 1)), int(rng.integers(0, size - ph + 1))
                    if _free((x, y, x + pw, y + ph), boxes, 2):
                        np.maximum(canvas[y:y + ph, x:x + pw], piece, out=canvas[y:y + ph, x:x + pw])
                        break
            canvas += rng.normal(0.0, 0.05, canvas.shape).astype("float32")
            np.clip(canvas, 0.0, 1.0, out=canvas)
            mask[canvas < INK] = BACKGROUND  # noise may dim a stroke below the ink level
        all_boxes.append(np.array(boxes, "float32").reshape(-1, 4))
        all_labels.append(np.array(classes, "int32"))
    return Scenes(images, masks, all_boxes, all_labels, difficulty)


# --- boxes -------------------------------------------------------------------------------

def _check_boxes(boxes: np.ndarray, name: str = "boxes") -> np.ndarray:
    array = np.asarray(boxes, dtype="float32")
    if array.size == 0:
        return array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} must have shape (k, 4), one box per row, got shape {array.shape}.")
    return array


def convert_boxes(boxes: np.ndarray, source: str, target: str) -> np.ndarray:
    """Convert ``(k, 4)`` boxes between ``xyxy``, ``xywh`` (COCO), ``cxcywh`` and ``yxyx`` (TensorFlow).

    Keras has the same conversion as ``keras.utils.bounding_boxes.convert_format`` (format
    names ``xyxy``, ``xywh``, ``center_xywh``, ``yxyx``).
    """
    for name, value in (("source", source), ("target", target)):
        if value not in BOX_FORMATS:
            raise ValueError(f"{name} must be one of {BOX_FORMATS}, got {value!r}.")
    b = _check_boxes(boxes)
    if source == "xyxy":
        x0, y0, x1, y1 = b.T
    elif source == "yxyx":
        y0, x0, y1, x1 = b.T
    elif source == "xywh":
        x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    else:
        x0, y0 = b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2
        x1, y1 = b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2
    columns = {"xyxy": (x0, y0, x1, y1), "yxyx": (y0, x0, y1, x1), "xywh": (x0, y0, x1 - x0, y1 - y0),
               "cxcywh": ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)}[target]
    return np.stack(columns, axis=1).astype("float32")


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of ``xyxy`` boxes: an ``(len(a), len(b))`` matrix.

    Raises:
        ValueError: a box array that is not ``(k, 4)``, or a box with ``x_max < x_min`` or
            ``y_max < y_min``.
    """
    a, b = _check_boxes(boxes_a, "boxes_a"), _check_boxes(boxes_b, "boxes_b")
    for name, arr in (("boxes_a", a), ("boxes_b", b)):
        if (arr[:, 2] < arr[:, 0]).any() or (arr[:, 3] < arr[:, 1]).any():
            raise ValueError(f"{name} has a box with x_max < x_min or y_max < y_min: are they xyxy boxes?")
    low, high = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(high - low, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0).astype("float32")


def nms(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray | None = None, iou_threshold: float = 0.5,
        max_output: int = 100) -> np.ndarray:
    """Indices of the boxes non-maximum suppression keeps, best score first.

    Greedy NMS by ``tf.image.non_max_suppression``: keep the best box, drop every box whose
    IoU with it exceeds ``iou_threshold``, repeat. With ``labels``, boxes only suppress boxes
    of their own class (one NMS per class).
    """
    import tensorflow as tf

    b = _check_boxes(boxes)
    scores = np.asarray(scores, "float32")
    if scores.shape != (len(b),):
        raise ValueError(f"scores must have shape ({len(b)},), one per box, got {scores.shape}.")
    if labels is not None and np.shape(labels) != (len(b),):
        raise ValueError(f"labels must have shape ({len(b)},), one per box, got {np.shape(labels)}.")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}.")
    if len(b) == 0:
        return np.zeros(0, "int64")
    if labels is None:
        groups = [np.arange(len(b))]
    else:
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    kept = []
    for idx in groups:
        keep = tf.image.non_max_suppression(convert_boxes(b[idx], "xyxy", "yxyx"), scores[idx], max_output,
                                            iou_threshold=iou_threshold)
        kept.append(idx[keep.numpy()])
    kept_all = np.concatenate(kept)
    return kept_all[np.argsort(-scores[kept_all], kind="stable")][:max_output].astype("int64")


# --- mean average precision ----------------------------------------------------------------

def _check_per_image(name: str, values: Sequence, n: int, width: int | None) -> list[np.ndarray]:
    if len(values) != n:
        raise ValueError(f"{name} must hold one array per image ({n} images), got {len(values)}.")
    out = []
    for i, v in enumerate(values):
        arr = np.asarray(v, "float64")
        if width is None:
            arr = arr.reshape(-1) if arr.size == 0 else arr
            if arr.ndim != 1:
                raise ValueError(f"{name}[{i}] must be one-dimensional, got shape {arr.shape}.")
        else:
            arr = arr.reshape(0, width) if arr.size == 0 else arr
            if arr.ndim != 2 or arr.shape[1] != width:
                raise ValueError(f"{name}[{i}] must have shape (k, {width}), got shape {arr.shape}.")
        out.append(arr)
    return out


def mean_average_precision(true_boxes: Sequence, true_labels: Sequence, pred_boxes: Sequence,
                           pred_labels: Sequence, pred_scores: Sequence) -> dict[str, float]:
    """COCO mean average precision of detections, computed by ``pycocotools.cocoeval.COCOeval``.

    Per image: ``true_boxes[i]`` ``(k, 4)`` xyxy and ``true_labels[i]`` ``(k,)``; the
    predictions ``pred_boxes[i]``, ``pred_labels[i]``, ``pred_scores[i]`` likewise (empty
    arrays for none). Returns ``{"mAP@0.5": ..., "mAP@[.5:.95]": ...}``: the average
    precision (101-point interpolated, at most 100 detections per image, all box areas) per
    class with at least one true box, averaged over classes, at IoU 0.5 and averaged over
    IoU 0.50, 0.55, ..., 0.95, exactly as COCO defines them.

    Raises:
        ValueError: lists of different lengths, arrays of the wrong shape, a label count
            that does not match its boxes, or no true box at all.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    n = len(true_boxes)
    tb = _check_per_image("true_boxes", true_boxes, n, 4)
    tl = _check_per_image("true_labels", true_labels, n, None)
    pb = _check_per_image("pred_boxes", pred_boxes, n, 4)
    pl = _check_per_image("pred_labels", pred_labels, n, None)
    ps = _check_per_image("pred_scores", pred_scores, n, None)
    for i in range(n):
        if len(tl[i]) != len(tb[i]):
            raise ValueError(f"true_labels[{i}] has {len(tl[i])} labels for {len(tb[i])} boxes.")
        if not len(pl[i]) == len(ps[i]) == len(pb[i]):
            raise ValueError(f"image {i}: {len(pb[i])} pred_boxes, {len(pl[i])} pred_labels and "
                             f"{len(ps[i])} pred_scores; they must match.")
    if sum(len(t) for t in tb) == 0:
        raise ValueError("mean_average_precision needs at least one true box (average precision is "
                         "undefined without objects).")
    classes = sorted({int(c) for arr in tl + pl for c in arr})
    categories = [{"id": c + 1, "name": str(c)} for c in classes]  # COCO ids start at 1

    def coco_boxes(box):
        return convert_boxes(box, "xyxy", "xywh").astype("float64")

    truth = {"images": [{"id": i + 1} for i in range(n)], "categories": categories, "annotations": []}
    found = {"images": truth["images"], "categories": categories, "annotations": []}
    for i in range(n):
        for box, c in zip(coco_boxes(tb[i]), tl[i], strict=True):
            truth["annotations"].append({"id": len(truth["annotations"]) + 1, "image_id": i + 1,
                                         "category_id": int(c) + 1, "bbox": box.tolist(),
                                         "area": float(box[2] * box[3]), "iscrowd": 0})
        for box, c, s in zip(coco_boxes(pb[i]), pl[i], ps[i], strict=True):
            found["annotations"].append({"id": len(found["annotations"]) + 1, "image_id": i + 1,
                                         "category_id": int(c) + 1, "bbox": box.tolist(), "score": float(s),
                                         "area": float(box[2] * box[3]), "iscrowd": 0})
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco_true, coco_found = COCO(), COCO()
        coco_true.dataset, coco_found.dataset = truth, found
        coco_true.createIndex()
        coco_found.createIndex()
        evaluation = COCOeval(coco_true, coco_found, iouType="bbox")
        evaluation.evaluate()
        evaluation.accumulate()
    precision = evaluation.eval["precision"][:, :, :, 0, -1]  # IoU x recall x class, all areas, 100 dets

    def average(p: np.ndarray) -> float:
        valid = p[p > -1]
        return float(valid.mean()) if valid.size else 0.0

    return {"mAP@0.5": average(precision[0]), "mAP@[.5:.95]": average(precision)}


# --- the connected-components rule -----------------------------------------------------

def connected_components(image: np.ndarray, threshold: float = 0.5,
                         min_area: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Threshold an image and box each connected component of at least ``min_area`` pixels.

    Uses ``scipy.ndimage.label`` (8-connectivity). Returns ``(boxes, components)``: ``(k, 4)``
    xyxy boxes and the ``(h, w)`` int image whose pixels hold ``1..k`` for the kept
    components (in the order of ``boxes``) and 0 elsewhere.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be one 2-D grey image (height, width), got shape {image.shape}.")
    components, count = ndimage.label(image >= threshold, structure=np.ones((3, 3)))
    areas = np.bincount(components.ravel(), minlength=count + 1)
    kept = [c for c in range(1, count + 1) if areas[c] >= min_area]
    relabel = np.zeros(count + 1, "int32")
    relabel[kept] = np.arange(1, len(kept) + 1)
    components = relabel[components]
    slices = ndimage.find_objects(components)
    boxes = np.array([(s[1].start, s[0].start, s[1].stop, s[0].stop) for s in slices if s is not None],
                     "float32").reshape(-1, 4)
    return boxes, components


def crop_digits(image: np.ndarray, boxes: np.ndarray, inner: int = 20, out: int = 28) -> np.ndarray:
    """Crop each box, pad it to a square, resize it to ``inner`` pixels and centre it on ``out``.

    This is how MNIST itself was made (digits fitted in a 20x20 box, centred in 28x28), so a
    classifier trained on MNIST reads the crops. Returns ``(k, out, out)`` float32.
    """
    b = _check_boxes(boxes).astype(int)
    crops = np.zeros((len(b), out, out), "float32")
    for i, (x0, y0, x1, y1) in enumerate(b):
        patch = np.asarray(image, "float32")[y0:y1, x0:x1]
        side = max(patch.shape)
        square = np.zeros((side, side), "float32")
        oy, ox = (side - patch.shape[0]) // 2, (side - patch.shape[1]) // 2
        square[oy:oy + patch.shape[0], ox:ox + patch.shape[1]] = patch
        small = np.clip(ndimage.zoom(square, inner / side, order=1), 0, 1)[:inner, :inner]
        o = (out - small.shape[0]) // 2
        crops[i, o:o + small.shape[0], o:o + small.shape[1]] = small
    return crops


def rule_detect(images: np.ndarray, classify: Callable[[np.ndarray], np.ndarray], threshold: float = 0.5,
                min_area: int = 12) -> tuple[list, list, list, np.ndarray]:
    """The two-stage rule on each image: components, then a digit classifier on each crop.

    Args:
        images: ``(n, h, w)`` scenes.
        classify: maps ``(k, 28, 28)`` crops to ``(k, 10)`` class probabilities (e.g. a
            Keras model's ``predict``).

    Returns ``(boxes, labels, scores, masks)``: per image the component boxes, the
    classifier's class and its probability as the score, and an ``(n, h, w)`` class mask
    (each component's pixels get its class + 1, the rest background).
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width), got shape {images.shape}.")
    boxes, labels, scores = [], [], []
    masks = np.zeros(images.shape, "int32")
    found = [connected_components(image, threshold, min_area) for image in images]
    crops = [crop_digits(image, b) for image, (b, _) in zip(images, found, strict=True)]
    flat = np.concatenate(crops) if crops else np.zeros((0, 28, 28), "float32")
    probabilities = np.asarray(classify(flat)) if len(flat) else np.zeros((0, 10), "float32")
    start = 0
    for i, (b, components) in enumerate(found):
        p = probabilities[start:start + len(b)]
        start += len(b)
        classes = p.argmax(axis=1).astype("int32")
        boxes.append(b)
        labels.append(classes)
        scores.append(p.max(axis=1).astype("float32") if len(p) else np.zeros(0, "float32"))
        masks[i] = np.concatenate([[BACKGROUND], classes + 1])[components]
    return boxes, labels, scores, masks


# --- CenterNet-style targets ----------------------------------------------------------------

def encode_centernet(boxes: Sequence, labels: Sequence, size: int, stride: int = 4,
                     n_classes: int = 10) -> np.ndarray:
    """CenterNet targets for a batch: ``(n, size/stride, size/stride, n_classes + 4)`` float32.

    Channels: one heat-map per class (a Gaussian around each box centre, 1 exactly at the
    centre's cell, ``sigma`` a sixth of the box's smaller side in cells, at least 0.5), then the box
    width and height in cells and the centre's offset within its cell (x, y), set at
    centre cells only (Zhou et al. 2019, "Objects as Points").
    """
    if size % stride:
        raise ValueError(f"size ({size}) must be a multiple of stride ({stride}).")
    if len(boxes) != len(labels):
        raise ValueError(f"boxes and labels must hold one array per image, got {len(boxes)} and "
                         f"{len(labels)}.")
    grid = size // stride
    targets = np.zeros((len(boxes), grid, grid, n_classes + 4), "float32")
    yy, xx = np.mgrid[0:grid, 0:grid]
    for i, (image_boxes, image_labels) in enumerate(zip(boxes, labels, strict=True)):
        b = _check_boxes(image_boxes, f"boxes[{i}]")
        image_labels = np.asarray(image_labels).reshape(-1)
        if len(image_labels) != len(b):
            raise ValueError(f"labels[{i}] has {len(image_labels)} labels for {len(b)} boxes.")
        if len(image_labels) and not (0 <= image_labels.min() and image_labels.max() < n_classes):
            raise ValueError(f"labels[{i}] must lie in 0..{n_classes - 1}, got {image_labels.tolist()}.")
        for (x0, y0, x1, y1), c in zip(b / stride, image_labels, strict=True):
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            ix, iy = min(int(cx), grid - 1), min(int(cy), grid - 1)
            sigma = max(min(x1 - x0, y1 - y0) / 6, 0.5)
            gauss = np.exp(-((xx - ix) ** 2 + (yy - iy) ** 2) / (2 * sigma**2))
            np.maximum(targets[i, :, :, c], gauss, out=targets[i, :, :, c])
            targets[i, iy, ix, n_classes:] = (x1 - x0, y1 - y0, cx - ix, cy - iy)
    return targets


def centernet_loss(n_classes: int = 10, size_weight: float = 0.1, offset_weight: float = 1.0) -> Callable:
    """A Keras loss for :func:`encode_centernet` targets and predictions of the same shape.

    The prediction's first ``n_classes`` channels are heat-map probabilities (a sigmoid), the
    next four the box size and offset. Loss: CenterNet's penalty-reduced focal loss on the
    heat-maps (alpha 2, beta 4) plus ``size_weight`` and ``offset_weight`` times the L1 error
    of size and offset at the centre cells, each divided by the number of objects.
    """
    from keras import ops

    def loss(y_true, y_pred):
        heat_true, heat = y_true[..., :n_classes], ops.clip(y_pred[..., :n_classes], 1e-4, 1 - 1e-4)
        centres = ops.cast(ops.equal(heat_true, 1.0), "float32")
        count = ops.maximum(ops.sum(centres), 1.0)
        positive = centres * ops.square(1 - heat) * ops.log(heat)
        negative = (1 - centres) * ops.power(1 - heat_true, 4) * ops.square(heat) * ops.log(1 - heat)
        focal = -ops.sum(positive + negative) / count
        at_centre = ops.max(centres, axis=-1, keepdims=True)
        error = ops.abs(y_true[..., n_classes:] - y_pred[..., n_classes:]) * at_centre
        size_error = ops.sum(error[..., :2]) / count
        offset_error = ops.sum(error[..., 2:]) / count
        return focal + size_weight * size_error + offset_weight * offset_error

    return loss


def decode_centernet(outputs: np.ndarray, stride: int = 4, n_classes: int = 10, score_threshold: float = 0.1,
                     top_k: int = 20, iou_threshold: float = 0.5
                     ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Boxes, labels and scores from CenterNet outputs ``(n, grid, grid, n_classes + 4)``.

    A cell is a peak if its heat is the largest of its 3x3 neighbourhood in its class (the
    max-pooling trick of the paper) and at least ``score_threshold``; the ``top_k`` best
    peaks become xyxy boxes in pixels (centre = cell + offset, size from the size channels),
    then :func:`nms` per class removes duplicates.
    """
    outputs = np.asarray(outputs)
    if outputs.ndim != 4 or outputs.shape[-1] != n_classes + 4:
        raise ValueError(f"outputs must have shape (n, grid, grid, {n_classes + 4}), got {outputs.shape}.")
    all_boxes, all_labels, all_scores = [], [], []
    for out in outputs:
        heat = out[..., :n_classes]
        local_max = heat == ndimage.maximum_filter(heat, size=(3, 3, 1), mode="constant")
        peaks = local_max & (heat >= score_threshold)
        iy, ix, c = np.nonzero(peaks)
        order = np.argsort(-heat[iy, ix, c], kind="stable")[:top_k]
        iy, ix, c = iy[order], ix[order], c[order]
        w, h, ox, oy = out[iy, ix, n_classes:].T
        cx, cy = (ix + ox) * stride, (iy + oy) * stride
        boxes = np.stack([cx - w * stride / 2, cy - h * stride / 2, cx + w * stride / 2, cy + h * stride / 2],
                         axis=1).astype("float32").reshape(-1, 4)
        scores = heat[iy, ix, c].astype("float32")
        keep = nms(boxes, scores, c, iou_threshold=iou_threshold)
        all_boxes.append(boxes[keep])
        all_labels.append(c[keep].astype("int32"))
        all_scores.append(scores[keep])
    return all_boxes, all_labels, all_scores


# --- pictures -----------------------------------------------------------------------------

def draw_boxes(ax, boxes: np.ndarray, labels: Sequence | None = None, scores: Sequence | None = None,
               color: str = "lime", linestyle: str = "-") -> None:
    """Draw xyxy ``boxes`` on a Matplotlib axis showing the image, with labels and scores if given."""
    from matplotlib.patches import Rectangle

    for i, (x0, y0, x1, y1) in enumerate(_check_boxes(boxes)):
        # pixel (r, c) is drawn centred on (c, r), so its edges are at -0.5 and +0.5
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=color,
                               linewidth=1.2, linestyle=linestyle))
        text = "" if labels is None else str(int(labels[i]))
        if scores is not None:
            text += f" {float(scores[i]):.2f}"
        if text:
            ax.text(x0 - 0.5, y0 - 1, text.strip(), color=color, fontsize=7, va="bottom")
