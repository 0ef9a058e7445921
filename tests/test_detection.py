"""helpers.detection: scene composer, boxes, IoU, NMS, mAP, the rule and CenterNet targets."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import detection as d


def _digits(n=40, seed=0):
    """Stand-in digits: a random blob of strokes per image (the composer only needs ink)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), "uint8")
    for image in images:
        y, x = rng.integers(6, 10), rng.integers(6, 10)
        image[y:y + 14, x:x + 3] = 255
        image[y:y + 3, x:x + 12] = 200
    return images, rng.integers(0, 10, n)


@pytest.fixture(scope="module")
def scenes():
    images, labels = _digits()
    return d.compose_scenes(images, labels, 30, size=64, seed=3)


def test_compose_is_seeded_and_cycles_difficulties(scenes):
    images, labels = _digits()
    again = d.compose_scenes(images, labels, 30, size=64, seed=3)
    other = d.compose_scenes(images, labels, 30, size=64, seed=4)
    assert np.array_equal(scenes.images, again.images) and np.array_equal(scenes.masks, again.masks)
    assert not np.array_equal(scenes.images, other.images)
    assert scenes.difficulty[:6].tolist() == ["clean", "touching", "cluttered"] * 2
    assert scenes.images.shape == (30, 64, 64) and scenes.masks.dtype == np.int32
    assert all(1 <= len(b) <= 4 for b in scenes.boxes)


def test_boxes_and_masks_agree_with_the_pixels(scenes):
    for image, mask, boxes, labels, kind in zip(scenes.images, scenes.masks, scenes.boxes, scenes.labels,
                                                scenes.difficulty, strict=True):
        assert len(boxes) == len(labels)
        assert (image[mask > 0] >= d.INK).all()  # every digit pixel is ink
        inside = np.zeros(mask.shape, bool)
        for (x0, y0, x1, y1), c in zip(boxes.astype(int), labels, strict=True):
            inside[y0:y1, x0:x1] = True
            own = mask[y0:y1, x0:x1] == c + 1
            assert own.any()  # each digit shows at least some of its ink
        assert not (mask > 0)[~inside].any()  # no digit pixel outside every box
        if kind == "clean":  # apart: each box is tight around its digit's mask pixels
            for (x0, y0, x1, y1), c in zip(boxes.astype(int), labels, strict=True):
                rows, cols = np.nonzero(mask[y0:y1, x0:x1] == c + 1)
                assert (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) == (0, 0, y1 - y0, x1 - x0)
            assert not (image[mask == 0] >= d.INK).any()  # no ink outside the digits
        if kind == "touching":
            assert d.box_iou(boxes[:1], boxes[1:2])[0, 0] > 0
        if kind == "cluttered":
            assert (image[mask == 0] >= d.INK).any()  # fragments: ink that is background


def test_subset(scenes):
    part = scenes.subset(scenes.difficulty == "touching")
    assert len(part) == 10 and set(part.difficulty) == {"touching"}
    assert np.array_equal(part.boxes[0], scenes.boxes[1])


def test_compose_bad_input():
    images, labels = _digits()
    with pytest.raises(ValueError, match="digits must have shape"):
        d.compose_scenes(images[0], labels, 3)
    with pytest.raises(ValueError, match="labels must have shape"):
        d.compose_scenes(images, labels[:3], 3)
    with pytest.raises(ValueError, match="n_scenes"):
        d.compose_scenes(images, labels, 0)
    with pytest.raises(ValueError, match="scale must be"):
        d.compose_scenes(images, labels, 3, size=32, scale=(16, 28))
    with pytest.raises(ValueError, match="max_digits"):
        d.compose_scenes(images, labels, 3, max_digits=1)


def test_convert_boxes_round_trip_and_keras():
    from keras.utils import bounding_boxes

    xyxy = np.array([[2, 4, 12, 10], [0, 0, 1, 3]], "float32")
    assert np.allclose(d.convert_boxes(xyxy, "xyxy", "xywh"), [[2, 4, 10, 6], [0, 0, 1, 3]])
    assert np.allclose(d.convert_boxes(xyxy, "xyxy", "cxcywh"), [[7, 7, 10, 6], [0.5, 1.5, 1, 3]])
    assert np.allclose(d.convert_boxes(xyxy, "xyxy", "yxyx"), [[4, 2, 10, 12], [0, 0, 3, 1]])
    for fmt in d.BOX_FORMATS:
        assert np.allclose(d.convert_boxes(d.convert_boxes(xyxy, "xyxy", fmt), fmt, "xyxy"), xyxy)
    keras_version = bounding_boxes.convert_format(xyxy, "xyxy", "center_xywh")
    assert np.allclose(keras_version, d.convert_boxes(xyxy, "xyxy", "cxcywh"))
    assert d.convert_boxes(np.zeros((0, 4)), "xyxy", "xywh").shape == (0, 4)
    with pytest.raises(ValueError, match="target must be one of"):
        d.convert_boxes(xyxy, "xyxy", "cxcy")
    with pytest.raises(ValueError, match=r"shape \(k, 4\)"):
        d.convert_boxes(np.zeros((2, 3)), "xyxy", "xywh")


def test_box_iou_hand_computed():
    a = np.array([[0, 0, 10, 10]], "float32")
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 5, 5]], "float32")
    # overlap 50 over union 150; identical; apart; inside (25 / 100)
    assert np.allclose(d.box_iou(a, b), [[1 / 3, 1.0, 0.0, 0.25]])
    assert d.box_iou(a, np.zeros((0, 4))).shape == (1, 0)
    with pytest.raises(ValueError, match="x_max < x_min"):
        d.box_iou(np.array([[10, 0, 0, 10]]), a)
    with pytest.raises(ValueError, match=r"boxes_b must have shape \(k, 4\)"):
        d.box_iou(a, np.zeros(4))


def test_nms_hand_computed():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 9]], "float32")
    scores = np.array([0.9, 0.8, 0.7, 0.95], "float32")
    # box 3 (best) suppresses 0 (IoU 0.9) and 1 (IoU 81/119 = 0.68); box 2 is apart
    assert d.nms(boxes, scores, iou_threshold=0.5).tolist() == [3, 2]
    assert d.nms(boxes, scores, iou_threshold=0.95).tolist() == [3, 0, 1, 2]
    # per class: box 1 has another class, so it survives
    assert d.nms(boxes, scores, labels=np.array([0, 1, 0, 0]), iou_threshold=0.5).tolist() == [3, 1, 2]
    assert d.nms(np.zeros((0, 4)), np.zeros(0)).shape == (0,)
    with pytest.raises(ValueError, match="scores must have shape"):
        d.nms(boxes, scores[:2])
    with pytest.raises(ValueError, match="iou_threshold must be in"):
        d.nms(boxes, scores, iou_threshold=1.5)


def test_map_hand_computed():
    truth_boxes = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[5, 5, 15, 15]])]
    truth_labels = [np.array([1, 2]), np.array([1])]
    perfect = d.mean_average_precision(truth_boxes, truth_labels, truth_boxes, truth_labels,
                                       [np.array([0.9, 0.8]), np.array([0.7])])
    assert perfect == pytest.approx({"mAP@0.5": 1.0, "mAP@[.5:.95]": 1.0})
    # class 2's box is shifted 2 px: IoU 80/120 = 2/3, a hit at IoU thresholds 0.50-0.65 (4 of 10)
    shifted = [np.array([[0, 0, 10, 10], [20, 22, 30, 32]]), np.array([[5, 5, 15, 15]])]
    result = d.mean_average_precision(truth_boxes, truth_labels, shifted, truth_labels,
                                      [np.array([0.9, 0.8]), np.array([0.7])])
    assert result == pytest.approx({"mAP@0.5": 1.0, "mAP@[.5:.95]": (1.0 + 0.4) / 2})
    # a false positive of class 1 ranked above both hits: precision 1/2 at recall 1/2, then
    # 2/3 at recall 1; interpolated precision is 2/3 at every recall point -> AP 2/3 for class 1
    extra = [np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]]), np.array([[5, 5, 15, 15]])]
    result = d.mean_average_precision(truth_boxes, truth_labels, extra, [np.array([1, 2, 1]), np.array([1])],
                                      [np.array([0.9, 0.8, 0.99]), np.array([0.7])])
    assert result["mAP@0.5"] == pytest.approx((2 / 3 + 1.0) / 2)
    # nothing found: 0; a class predicted that has no true box does not count
    empty = [np.zeros((0, 4)), np.zeros((0, 4))]
    assert d.mean_average_precision(truth_boxes, truth_labels, empty, [[], []], [[], []])["mAP@0.5"] == 0.0


def test_map_bad_input():
    boxes, labels = [np.array([[0, 0, 10, 10]])], [np.array([1])]
    with pytest.raises(ValueError, match="pred_boxes must hold one array per image"):
        d.mean_average_precision(boxes, labels, [], [], [])
    with pytest.raises(ValueError, match=r"true_boxes\[0\] must have shape \(k, 4\)"):
        d.mean_average_precision([np.zeros((2, 3))], labels, boxes, labels, [[0.5]])
    with pytest.raises(ValueError, match="1 labels for 2 boxes"):
        d.mean_average_precision([np.zeros((2, 4))], labels, boxes, labels, [[0.5]])
    with pytest.raises(ValueError, match="they must match"):
        d.mean_average_precision(boxes, labels, boxes, labels, [[0.5, 0.4]])
    with pytest.raises(ValueError, match="at least one true box"):
        d.mean_average_precision([np.zeros((0, 4))], [[]], boxes, labels, [[0.5]])


def test_connected_components_and_crops():
    image = np.zeros((20, 30), "float32")
    image[2:8, 3:5] = 1.0  # 12 pixels
    image[10:15, 20:26] = 0.9  # 30 pixels
    image[18, 0] = 1.0  # one speck, below min_area
    boxes, components = d.connected_components(image, threshold=0.5, min_area=5)
    assert boxes.tolist() == [[3, 2, 5, 8], [20, 10, 26, 15]]
    assert components.max() == 2 and components[18, 0] == 0
    crops = d.crop_digits(image, boxes)
    assert crops.shape == (2, 28, 28)
    rows, cols = np.nonzero(crops[0] > 0.5)
    assert rows.max() - rows.min() + 1 <= 20 and abs((rows.min() + rows.max()) / 2 - 13.5) <= 1
    with pytest.raises(ValueError, match="one 2-D grey image"):
        d.connected_components(np.zeros((2, 20, 30)))


def test_rule_detect_paints_components():
    image = np.zeros((1, 20, 30), "float32")
    image[0, 2:8, 3:9] = 1.0
    image[0, 10:16, 20:26] = 1.0

    def classify(crops):
        p = np.zeros((len(crops), 10), "float32")
        p[0, 4], p[1, 7] = 0.9, 0.6
        return p

    boxes, labels, scores, masks = d.rule_detect(image, classify, min_area=5)
    assert labels[0].tolist() == [4, 7] and np.allclose(scores[0], [0.9, 0.6])
    assert (masks[0][2:8, 3:9] == 5).all() and (masks[0][10:16, 20:26] == 8).all()
    assert masks[0].sum() == 36 * 5 + 36 * 8
    empty = d.rule_detect(np.zeros((1, 20, 30)), classify)
    assert empty[0][0].shape == (0, 4) and empty[3].sum() == 0
    with pytest.raises(ValueError, match=r"images must have shape \(n, height, width\)"):
        d.rule_detect(image[0], classify)


def test_centernet_round_trip(scenes):
    targets = d.encode_centernet(scenes.boxes, scenes.labels, 64)
    assert targets.shape == (30, 16, 16, 14)
    assert int((targets[..., :10] == 1.0).sum()) == sum(len(b) for b in scenes.boxes)
    boxes, labels, scores = d.decode_centernet(targets)
    result = d.mean_average_precision(scenes.boxes, scenes.labels, boxes, labels, scores)
    assert result == pytest.approx({"mAP@0.5": 1.0, "mAP@[.5:.95]": 1.0})


def test_centernet_loss_prefers_the_truth():
    images, labels = _digits()
    s = d.compose_scenes(images, labels, 6, seed=1)
    targets = d.encode_centernet(s.boxes, s.labels, 64)
    loss = d.centernet_loss()
    right = float(loss(targets, targets))
    wrong = float(loss(targets, np.concatenate([np.full_like(targets[..., :10], 0.5), targets[..., 10:] + 1],
                                               axis=-1)))
    assert 0 <= right < wrong / 10  # the focal term is not 0 at the truth: near-centre cells are < 1


def test_centernet_bad_input():
    with pytest.raises(ValueError, match="multiple of stride"):
        d.encode_centernet([], [], 62)
    with pytest.raises(ValueError, match="one array per image"):
        d.encode_centernet([np.zeros((1, 4))], [], 64)
    with pytest.raises(ValueError, match=r"labels\[0\] must lie in 0..9"):
        d.encode_centernet([np.array([[0, 0, 8, 8]])], [np.array([12])], 64)
    with pytest.raises(ValueError, match=r"boxes\[0\] must have shape"):
        d.encode_centernet([np.zeros((1, 5))], [np.array([1])], 64)
    with pytest.raises(ValueError, match=r"outputs must have shape \(n, grid, grid, 14\)"):
        d.decode_centernet(np.zeros((1, 16, 16, 10)))


def test_draw_boxes_adds_patches():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    d.draw_boxes(ax, np.array([[0, 0, 4, 4], [5, 5, 9, 9]]), labels=[1, 2], scores=[0.5, 0.25])
    assert len(ax.patches) == 2 and [t.get_text() for t in ax.texts] == ["1 0.50", "2 0.25"]
    plt.close(fig)
