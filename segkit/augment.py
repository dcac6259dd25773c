"""Paired image/mask augmentation and the ``tf.data`` training pipeline.

Introduced in notebook 04 (notebook 02 uses it to ask which transforms decorrelate neighbouring
slices). Every geometric transform moves the image and its mask together: the image is
interpolated smoothly (``order`` 1 by default, 3 on request), the mask by nearest neighbour
(order 0) so a binary mask stays binary and an integer label image keeps exactly its labels
(minus any pushed out of the frame). Images and masks may be ``(H, W)`` or ``(H, W, 1)``; each
comes back in the layout it came in, images as float32, masks in their own dtype.

Randomness comes only from an explicit seed or `numpy.random.Generator` (argument ``rng``), so
a given seed reproduces an augmentation exactly.

Transform names understood by `augment_pair` (argument ``transforms``), with the parameters
that set their strength:

- ``dihedral``: one of the 8 flips/rotations by 90 degrees (exact, no interpolation), or of
  the subset ``dihedral_k`` (e.g. vertical flips only);
- ``rotate``: rotation by an arbitrary angle, ``max_angle`` degrees;
- ``shift``: translation, ``max_shift`` as a fraction of the side;
- ``zoom``: zoom about the centre, factor in ``1 +- max_zoom``;
- ``elastic_grid``: B-spline grid deformation of ``elasticdeform`` (Ronneberger et al. 2015),
  ``grid_sigma`` pixels, ``grid_points`` control points per axis;
- ``elastic_alpha_sigma``: smoothed random displacement field (Simard et al. 2003), ``alpha``
  and ``sigma``;
- ``intensity``: brightness and contrast, ``max_brightness`` and ``max_contrast``;
- ``noise``: additive Gaussian noise, ``max_noise``.
"""

import numbers

import numpy as np

from ._validate import (as_array, as_binary, as_rng, as_slice, check_finite, check_int,
                        check_ndim, check_normalization, check_numeric, describe,
                        normalised)

__all__ = [
    "TRANSFORMS", "DEFAULT_PARAMS", "dihedral", "rotate", "shift", "zoom", "brightness_contrast",
    "gaussian_noise", "elastic_grid", "elastic_alpha_sigma", "augment_pair", "make_dataset",
]

#: Every transform name `augment_pair` understands, in the order it applies them.
TRANSFORMS = ("dihedral", "rotate", "shift", "zoom", "elastic_grid", "elastic_alpha_sigma",
              "intensity", "noise")

#: What `augment_pair` and `make_dataset` apply unless told otherwise.
_DEFAULT_TRANSFORMS = ("dihedral", "rotate", "shift", "zoom", "elastic_grid", "intensity",
                      "noise")

#: Strengths used by `augment_pair` (tuned for 256 x 256 tiles normalised to about [0, 1]).
DEFAULT_PARAMS = {
    "p": 0.5,               # probability of each listed transform
    "dihedral_k": (0, 1, 2, 3, 4, 5, 6, 7),  # dihedral: k drawn from these symmetries; (0, 4)
                            # is a random vertical flip, (0, 6) a horizontal one, (0, 2, 4, 6)
                            # both (Keras's vertical_flip and horizontal_flip), (0, 1, 2, 3)
                            # quarter turns only
    "order": 1,             # image interpolation order (masks always 0); 3 is smoother but
                            # overshoots a little at sharp edges
    "mode": "reflect",      # border handling, the same for image and mask
    "max_angle": 30.0,      # rotate: angle uniform in [-max_angle, max_angle] degrees
    "max_shift": 0.1,       # shift: up to this fraction of the side, each axis
    "max_zoom": 0.15,       # zoom: factor uniform in [1 - max_zoom, 1 + max_zoom]
    "grid_sigma": 8.0,      # elastic_grid: std of control-point displacements (pixels)
    "grid_points": 3,       # elastic_grid: control points per axis
    "alpha": 30.0,          # elastic_alpha_sigma: field scale (pixels)
    "sigma": 4.0,           # elastic_alpha_sigma: smoothing of the field (pixels)
    "max_brightness": 0.1,  # intensity: offset uniform in [-max_brightness, max_brightness]
    "max_contrast": 0.2,    # intensity: factor uniform in [1 - max_contrast, 1 + max_contrast]
    "max_noise": 0.05,      # noise: sigma uniform in [0, max_noise]
}

_MODES = ("reflect", "nearest", "mirror", "wrap", "constant")


# ----------------------------------------------------------------------------- validation
def _as_2d(x, name):
    """``(H, W)`` view of an ``(H, W)`` or ``(H, W, 1)`` array; anything else is an error."""
    return as_slice(x, name, hint="a 3-D volume or a colour image is not accepted, pass one "
                                   "grey slice at a time")


def _check_mask(mask, name="mask"):
    """A mask: bool or integer-valued (binary or labels), finite, not a probability map."""
    m = check_numeric(as_array(mask, name), name)
    if np.issubdtype(m.dtype, np.floating):
        check_finite(m, name)
        if not np.array_equal(m, np.round(m)):
            raise ValueError(
                f"`{name}` must hold integer classes or labels (bool, {{0, 1}} or a label "
                f"image), got non-integer values in {describe(m)}; is it a probability map? "
                "Threshold it first"
            )
    return m


def _validate_pair(image, mask):
    """(image 2-D float32, mask 2-D, image layout, mask layout) after the shared checks."""
    img = check_finite(check_numeric(as_array(image, "image"), "image"), "image")
    msk = _check_mask(mask)
    img2, msk2 = _as_2d(img, "image"), _as_2d(msk, "mask")
    if img2.shape != msk2.shape:
        raise ValueError(
            f"`mask` (shape {msk.shape}) must have the same height and width as `image` "
            f"(shape {img.shape})"
        )
    return img2.astype(np.float32), msk2, img.ndim, msk.ndim


def _restore(x, ndim):
    return x[..., None] if ndim == 3 else x


def _check_order(order):
    order = check_int(order, "order", minimum=0)
    if order > 5:
        raise ValueError(f"`order` must be a spline order between 0 and 5, got {order}")
    return order


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError(f"`mode` must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    return mode


def _check_number(value, name, *, minimum=None, maximum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {value}")
    return value


# ----------------------------------------------------------------------------- dihedral
def dihedral(x, k, *, inverse=False, axes=None):
    """One of the 8 symmetries of the square (flips and rotations by 90 degrees), exactly.

    ``k`` in 0..3 rotates by ``k * 90`` degrees; ``k`` in 4..7 flips (reverses the first axis)
    and then rotates by ``(k - 4) * 90`` degrees. ``k = 0`` is the identity. Used for
    augmentation here and in `segkit.patches`, and, with ``inverse=True``, to undo a
    transform at test time.

    Parameters
    ----------
    x : (H, W), (H, W, C) or (N, H, W, C) ndarray
        Any dtype; values are only moved, never interpolated.
    k : int or (N,) array of int
        0..7; for a 4-D batch, one value per element is allowed (square images only, so that
        every element keeps its shape).
    inverse : bool
        Apply the inverse transform, so ``dihedral(dihedral(x, k), k, inverse=True) == x``.
    axes : tuple of two ints, optional
        The image axes. Default ``(0, 1)``, or ``(1, 2)`` for a 4-D NHWC batch.

    Returns
    -------
    ndarray
        Same dtype; the two image axes swap lengths for odd rotations.

    Examples
    --------
    >>> a = np.array([[1, 2], [3, 4]])
    >>> dihedral(a, 1).tolist()
    [[2, 4], [1, 3]]
    >>> dihedral(a, 4).tolist()
    [[3, 4], [1, 2]]
    >>> bool((dihedral(dihedral(a, 5), 5, inverse=True) == a).all())
    True
    >>> batch = np.stack([a, a])[..., None]
    >>> dihedral(batch, np.array([0, 1]))[:, :, :, 0].tolist()
    [[[1, 2], [3, 4]], [[2, 4], [1, 3]]]
    """
    x = as_array(x, "x")
    if np.ndim(k) == 1:
        return _dihedral_each(x, k, inverse)
    k = check_int(k, "k", minimum=0)
    if k > 7:
        raise ValueError(f"`k` must be in 0..7 (4 rotations x optional flip), got {k}")
    if axes is None:
        check_ndim(x, "x", (2, 3, 4), "(H, W), (H, W, C) or (N, H, W, C)")
        axes = (1, 2) if x.ndim == 4 else (0, 1)
    rot, flip = k % 4, k >= 4
    if not inverse:
        y = np.flip(x, axis=axes[0]) if flip else x
        return np.rot90(y, rot, axes=axes)
    y = np.rot90(x, -rot, axes=axes)
    return np.flip(y, axis=axes[0]) if flip else y


def _dihedral_each(x, k, inverse):
    """`dihedral` with one `k` per element of a square NHWC batch."""
    check_ndim(x, "x", 4, "(N, H, W, C) with one `k` per element")
    ks = check_numeric(as_array(k, "k"), "k")
    if ks.shape != (x.shape[0],) or ks.dtype.kind not in "iu" or ks.min() < 0 or ks.max() > 7:
        raise ValueError(f"`k` must be one integer in 0..7 per element of `x` "
                         f"({x.shape[0]}), got {describe(ks)}")
    if x.shape[1] != x.shape[2]:
        raise ValueError(f"`x` must hold square images for one `k` per element, got "
                         f"{describe(x)}")
    out = np.empty_like(x)
    for t in np.unique(ks):
        sel = ks == t
        out[sel] = dihedral(x[sel], int(t), inverse=inverse)
    return out


def _random_dihedral(image, mask, *, rng, k=None):
    """The same random (or given) dihedral transform `k` of image and mask.

    Returns
    -------
    image, mask : ndarrays in the layout they came in (image float32)
    """
    img, msk, ind, mnd = _validate_pair(image, mask)
    k = int(as_rng(rng).integers(8)) if k is None else k
    return (_restore(np.ascontiguousarray(dihedral(img, k)), ind),
            _restore(np.ascontiguousarray(dihedral(msk, k)), mnd))


# ----------------------------------------------------------------------------- affine
def _affine(img, msk, matrix, offset, order, mode):
    """Resample image (order `order`) and mask (order 0) with ``in = matrix @ out + offset``."""
    from scipy import ndimage

    out_img = ndimage.affine_transform(img, matrix, offset=offset, order=order, mode=mode,
                                       output=np.float32)
    out_msk = ndimage.affine_transform(msk, matrix, offset=offset, order=0, mode=mode)
    return out_img, out_msk


def _centre(shape):
    return (np.asarray(shape, dtype=float) - 1) / 2


def rotate(image, mask, *, angle, order=1, mode="reflect"):
    """Rotate image and mask by `angle` degrees about the centre, keeping the size.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
        Binary or integer labels; resampled by nearest neighbour.
    angle : float
        Degrees, counter-clockwise as displayed.
    order : int
        Spline order for the image (1 linear, 3 cubic).
    mode : str
        Border handling (`scipy.ndimage` names), the same for image and mask.

    Returns
    -------
    image : float32 ndarray
    mask : ndarray of the mask's dtype

    Examples
    --------
    >>> img = np.zeros((5, 5), np.float32); img[0, 2] = 1
    >>> out, m = rotate(img, img.astype(np.uint8), angle=90)
    >>> [int(i) for i in np.argwhere(m)[0]]  # the top pixel turns to the left edge
    [2, 0]
    """
    img, msk, ind, mnd = _validate_pair(image, mask)
    angle = _check_number(angle, "angle")
    order, mode = _check_order(order), _check_mode(mode)
    t = np.deg2rad(angle)
    m = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    c = _centre(img.shape)
    out_img, out_msk = _affine(img, msk, m, c - m @ c, order, mode)
    return _restore(out_img, ind), _restore(out_msk, mnd)


def shift(image, mask, *, offset, order=1, mode="reflect"):
    """Translate image and mask by ``offset = (dy, dx)`` pixels (content moves down/right).

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
        Binary or integer labels; resampled by nearest neighbour.
    offset : (float, float)
        Rows down and columns right, in pixels (fractions interpolate).
    order : int
        Spline order for the image.
    mode : str
        Border handling (`scipy.ndimage` names), the same for image and mask.

    Returns
    -------
    image : float32 ndarray
    mask : ndarray of the mask's dtype

    Examples
    --------
    >>> img = np.zeros((5, 5)); img[2, 2] = 1
    >>> out, m = shift(img, img.astype(np.uint8), offset=(1, -2), mode="constant")
    >>> [int(i) for i in np.argwhere(m)[0]]
    [3, 0]
    """
    img, msk, ind, mnd = _validate_pair(image, mask)
    if np.ndim(offset) != 1 or len(offset) != 2:
        raise ValueError(f"`offset` must be a pair (dy, dx), got {offset!r}")
    d = np.array([_check_number(v, "offset") for v in offset])
    order, mode = _check_order(order), _check_mode(mode)
    out_img, out_msk = _affine(img, msk, np.eye(2), -d, order, mode)
    return _restore(out_img, ind), _restore(out_msk, mnd)


def zoom(image, mask, *, factor, order=1, mode="reflect"):
    """Zoom image and mask by `factor` about the centre, keeping the size (> 1 magnifies).

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
        Binary or integer labels; resampled by nearest neighbour.
    factor : float
        > 0; 2 doubles every length, 0.5 halves it (the border is filled by `mode`).
    order : int
        Spline order for the image.
    mode : str
        Border handling (`scipy.ndimage` names), the same for image and mask.

    Returns
    -------
    image : float32 ndarray
    mask : ndarray of the mask's dtype

    Examples
    --------
    >>> m = np.zeros((9, 9), np.uint8); m[3:6, 3:6] = 1
    >>> int(zoom(m.astype(np.float32), m, factor=2.0)[1].sum())  # 3 x 3 pixels become 6 x 6
    36
    """
    img, msk, ind, mnd = _validate_pair(image, mask)
    factor = _check_number(factor, "factor")
    if factor <= 0:
        raise ValueError(f"`factor` must be > 0, got {factor}")
    order, mode = _check_order(order), _check_mode(mode)
    c = _centre(img.shape)
    m = np.eye(2) / factor
    out_img, out_msk = _affine(img, msk, m, c - m @ c, order, mode)
    return _restore(out_img, ind), _restore(out_msk, mnd)


# ----------------------------------------------------------------------------- intensity
def brightness_contrast(image, mask, *, brightness=0.0, contrast=1.0):
    """``(x - mean) * contrast + mean + brightness`` on the image; the mask is unchanged.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
        Returned as it is.
    brightness : float
        Added to every pixel, in the image's units (about [0, 1] after normalisation).
    contrast : float
        >= 0; the spread about the mean is multiplied by it (1 leaves it).

    Returns
    -------
    image : float32 ndarray
    mask : ndarray

    Examples
    --------
    >>> out, _ = brightness_contrast(np.array([[0.0, 1.0]]), np.zeros((1, 2)), brightness=0.5,
    ...                              contrast=2.0)
    >>> out.tolist()
    [[0.0, 2.0]]
    """
    img, msk, ind, mnd = _validate_pair(image, mask)
    b = _check_number(brightness, "brightness")
    c = _check_number(contrast, "contrast", minimum=0.0)
    mean = img.mean(dtype=np.float64)
    out = ((img - mean) * c + mean + b).astype(np.float32)
    return _restore(out, ind), _restore(msk, mnd)


def gaussian_noise(image, mask, *, sigma, rng):
    """Add Gaussian noise of standard deviation `sigma` to the image; the mask is unchanged.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
        Returned as it is.
    sigma : float
        >= 0, in the image's units.
    rng : int, numpy.random.Generator or None
        The only source of randomness.

    Returns
    -------
    image : float32 ndarray
    mask : ndarray

    Examples
    --------
    >>> out, _ = gaussian_noise(np.zeros((100, 100), np.float32), np.zeros((100, 100)),
    ...                         sigma=0.5, rng=0)
    >>> round(float(out.std()), 2)
    0.5
    """
    img, msk, ind, mnd = _validate_pair(image, mask)
    sigma = _check_number(sigma, "sigma", minimum=0.0)
    noise = as_rng(rng).standard_normal(img.shape, dtype=np.float32) * np.float32(sigma)
    return _restore(img + noise, ind), _restore(msk, mnd)


# ----------------------------------------------------------------------------- elastic
def elastic_grid(image, mask, *, sigma, points, rng, order=1, mode="reflect"):
    """Elastic deformation on a coarse B-spline grid (``elasticdeform``, Ronneberger et al.).

    A ``points x points`` grid of control points is displaced by normal draws of standard
    deviation `sigma` pixels and the displacement is interpolated with cubic B-splines to every
    pixel. The displacements are drawn from `rng` (not from NumPy's global state, which
    ``elasticdeform.deform_random_grid`` would use) and applied with
    ``elasticdeform.deform_grid``, image with `order`, mask with order 0.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
    sigma : float
        Displacement scale in pixels; 0 is the identity.
    points : int
        Control points per axis (>= 2): few points give smooth, large-scale bends.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    image : float32 ndarray
    mask : ndarray of the mask's dtype

    Examples
    --------
    >>> img = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    >>> out, m = elastic_grid(img, (img > 0.5).astype(np.uint8), sigma=2.0, points=3, rng=0)
    >>> out.dtype, sorted(np.unique(m).tolist())  # the mask stays binary
    (dtype('float32'), [0, 1])
    >>> bool((elastic_grid(img, img > 0.5, sigma=0.0, points=3, rng=0)[0] == img).all())
    True
    """
    import elasticdeform

    img, msk, ind, mnd = _validate_pair(image, mask)
    sigma = _check_number(sigma, "sigma", minimum=0.0)
    points = check_int(points, "points", minimum=2)
    order, mode = _check_order(order), _check_mode(mode)
    displacement = as_rng(rng).normal(0.0, sigma, size=(2, points, points))
    out_img, out_msk = elasticdeform.deform_grid(
        [img, msk], displacement, order=[order, 0], mode=mode, prefilter=order > 1)
    return _restore(out_img.astype(np.float32), ind), _restore(out_msk, mnd)


def _alpha_sigma_field(shape, alpha, sigma, rng):
    from scipy import ndimage

    fields = []
    for _ in range(2):
        u = rng.uniform(-1.0, 1.0, size=shape)
        fields.append(ndimage.gaussian_filter(u, sigma, mode="constant") * alpha)
    return fields


def elastic_alpha_sigma(image, mask, *, alpha, sigma, rng, order=1, mode="reflect"):
    """Elastic deformation by a smoothed random field (Simard, Steinkraus and Platt, 2003).

    Every pixel gets a displacement drawn uniformly from [-1, 1] per axis; the two fields are
    smoothed by a Gaussian of standard deviation `sigma` and scaled by `alpha`, then image
    (`order`) and mask (order 0) are resampled with `scipy.ndimage.map_coordinates`. Small
    `sigma` gives jittery, almost random motion; large `sigma` almost rigid motion with
    displacements shrinking as ``alpha / sigma``.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    mask : (H, W) or (H, W, 1) ndarray
    alpha : float
        Scale of the displacement field (pixels before smoothing); 0 is the identity.
    sigma : float
        Gaussian smoothing in pixels (> 0).
    rng : int, numpy.random.Generator or None

    Returns
    -------
    image : float32 ndarray
    mask : ndarray of the mask's dtype

    Examples
    --------
    >>> img = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    >>> out, m = elastic_alpha_sigma(img, (img > 0.5).astype(np.uint8), alpha=30.0, sigma=4.0,
    ...                              rng=0)
    >>> out.dtype, sorted(np.unique(m).tolist())  # the mask stays binary
    (dtype('float32'), [0, 1])
    >>> bool((elastic_alpha_sigma(img, img > 0.5, alpha=0.0, sigma=4.0, rng=0)[0] == img).all())
    True
    """
    from scipy import ndimage

    img, msk, ind, mnd = _validate_pair(image, mask)
    alpha = _check_number(alpha, "alpha", minimum=0.0)
    sigma = _check_number(sigma, "sigma")
    if sigma <= 0:
        raise ValueError(f"`sigma` must be > 0, got {sigma}")
    order, mode = _check_order(order), _check_mode(mode)
    dy, dx = _alpha_sigma_field(img.shape, alpha, sigma, as_rng(rng))
    yy, xx = np.meshgrid(np.arange(img.shape[0]), np.arange(img.shape[1]), indexing="ij")
    coords = np.stack([yy + dy, xx + dx])
    out_img = ndimage.map_coordinates(img, coords, order=order, mode=mode, output=np.float32)
    out_msk = ndimage.map_coordinates(msk, coords, order=0, mode=mode)
    return _restore(out_img, ind), _restore(out_msk, mnd)


# ----------------------------------------------------------------------------- random mix
def _check_transforms(transforms):
    if isinstance(transforms, str):
        transforms = (transforms,)
    try:
        names = tuple(transforms)
    except TypeError:
        raise TypeError(f"`transforms` must be a sequence of names, got {transforms!r}") from None
    unknown = [t for t in names if t not in TRANSFORMS]
    if unknown:
        raise ValueError(
            f"`transforms` has unknown name(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(TRANSFORMS)}"
        )
    return names


def _check_dihedral_k(ks):
    """The symmetries `augment_pair` may draw: a non-empty sequence of distinct ints 0..7."""
    if isinstance(ks, (str, bytes)) or np.ndim(ks) != 1 or len(ks) == 0:
        raise TypeError(f"`dihedral_k` must be a non-empty sequence of symmetries k in 0..7 "
                        f"(see `dihedral`), e.g. (0, 4) for vertical flips, got {ks!r}")
    out = tuple(check_int(k, "dihedral_k") for k in ks)
    if any(not 0 <= k <= 7 for k in out) or len(set(out)) != len(out):
        raise ValueError(f"`dihedral_k` must hold distinct symmetries k in 0..7, got {ks!r}")
    return out


def _check_params(params):
    """Defaults updated with `params`, every value checked; unknown names are an error."""
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise TypeError(
            f"unknown augmentation parameter(s) {', '.join(f'`{u}`' for u in unknown)}; "
            f"known: {', '.join(DEFAULT_PARAMS)}"
        )
    p = {**DEFAULT_PARAMS, **params}
    p["p"] = _check_number(p["p"], "p", minimum=0.0, maximum=1.0)
    p["order"] = _check_order(p["order"])
    p["mode"] = _check_mode(p["mode"])
    p["grid_points"] = check_int(p["grid_points"], "grid_points", minimum=2)
    p["dihedral_k"] = _check_dihedral_k(p["dihedral_k"])
    for key in ("max_angle", "max_shift", "max_zoom", "grid_sigma", "alpha", "max_brightness",
                "max_contrast", "max_noise"):
        p[key] = _check_number(p[key], key, minimum=0.0)
    p["sigma"] = _check_number(p["sigma"], "sigma")
    if p["sigma"] <= 0:
        raise ValueError(f"`sigma` must be > 0, got {p['sigma']}")
    if p["max_zoom"] >= 1:
        raise ValueError(f"`max_zoom` must be < 1 (factor 1 - max_zoom > 0), got {p['max_zoom']}")
    return p


def augment_pair(image, mask, *, rng, transforms=_DEFAULT_TRANSFORMS, **params):
    """A random combination of paired transforms: image and mask always move together.

    Each name in `transforms` is applied with probability ``p``, in the fixed order of
    `TRANSFORMS` (geometry first, intensity last), with a strength drawn uniformly up to its
    maximum. ``dihedral`` draws ``k`` from ``dihedral_k`` (default all of 0..7, the identity
    included); on a non-square image an odd ``k`` (a quarter turn) becomes the ``k - 1`` that
    keeps the shape.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
        Normalised intensities (strengths in `DEFAULT_PARAMS` assume about [0, 1]).
    mask : (H, W) or (H, W, 1) ndarray
        Binary or integer labels, kept exact (nearest-neighbour resampling).
    rng : int, numpy.random.Generator or None
        The only source of randomness: the same seed gives the same augmentation.
    transforms : sequence of str
        Names from `TRANSFORMS`.
    **params
        Overrides of `DEFAULT_PARAMS` (``p``, ``order``, ``mode``, ``max_angle``, ...).

    Returns
    -------
    image : float32 ndarray
    mask : ndarray of the mask's dtype
        Each in the layout it came in.

    Examples
    --------
    >>> img = np.linspace(0, 1, 64).reshape(8, 8).astype(np.float32)
    >>> msk = (img > 0.5).astype(np.uint8)
    >>> a1, m1 = augment_pair(img, msk, rng=3, p=1.0)
    >>> a2, m2 = augment_pair(img, msk, rng=3, p=1.0)
    >>> bool((a1 == a2).all() and (m1 == m2).all()), sorted(np.unique(m1).tolist())
    (True, [0, 1])
    """
    names = _check_transforms(transforms)
    p = _check_params(params)
    rng = as_rng(rng)
    img, msk, ind, mnd = _validate_pair(image, mask)
    order, mode = p["order"], p["mode"]
    h, w = img.shape
    for name in TRANSFORMS:
        if name not in names or rng.random() >= p["p"]:
            continue
        if name == "dihedral":
            k = p["dihedral_k"][int(rng.integers(len(p["dihedral_k"])))]
            if h != w and k % 2:  # a quarter turn would change a non-square tile's shape
                k -= 1
            img, msk = dihedral(img, k), dihedral(msk, k)
        elif name == "rotate":
            angle = rng.uniform(-p["max_angle"], p["max_angle"])
            img, msk = rotate(img, msk, angle=angle, order=order, mode=mode)
        elif name == "shift":
            d = rng.uniform(-p["max_shift"], p["max_shift"], size=2) * np.array([h, w])
            img, msk = shift(img, msk, offset=tuple(d), order=order, mode=mode)
        elif name == "zoom":
            f = rng.uniform(1 - p["max_zoom"], 1 + p["max_zoom"])
            img, msk = zoom(img, msk, factor=f, order=order, mode=mode)
        elif name == "elastic_grid":
            img, msk = elastic_grid(img, msk, sigma=p["grid_sigma"], points=p["grid_points"],
                                    rng=rng, order=order, mode=mode)
        elif name == "elastic_alpha_sigma":
            img, msk = elastic_alpha_sigma(img, msk, alpha=p["alpha"], sigma=p["sigma"],
                                           rng=rng, order=order, mode=mode)
        elif name == "intensity":
            img, msk = brightness_contrast(
                img, msk, brightness=rng.uniform(-p["max_brightness"], p["max_brightness"]),
                contrast=rng.uniform(1 - p["max_contrast"], 1 + p["max_contrast"]))
        elif name == "noise":
            img, msk = gaussian_noise(img, msk, sigma=rng.uniform(0, p["max_noise"]), rng=rng)
    img = np.ascontiguousarray(img, dtype=np.float32)
    return _restore(img, ind), _restore(np.ascontiguousarray(msk), mnd)


# ----------------------------------------------------------------------------- tf.data
def _validate_tiles(images, masks, normalization=None):
    x = check_numeric(as_array(images, "images"), "images")
    check_ndim(x, "images", 4, "NHWC tiles (N, H, W, 1)")
    if x.shape[-1] != 1:
        raise ValueError(f"`images` must have one channel (N, H, W, 1), got {describe(x)}")
    if normalization is None and not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"`images` must be normalised floats, got {describe(x)}; normalise first with "
            "segkit.io.Normalization.fit(train_images) and norm(images), or pass "
            "normalization=norm to normalise tile by tile"
        )
    check_normalization(normalization)
    if np.issubdtype(x.dtype, np.floating):
        check_finite(x, "images")
    if x.shape[0] == 0:
        raise ValueError(f"`images` holds no tiles, got {describe(x)}")
    y = as_binary(masks, "masks")
    if y.shape != x.shape:
        raise ValueError(
            f"`masks` (shape {y.shape}) must have the same shape as `images` (shape {x.shape})"
        )
    # kept as given (uint8 tiles stay uint8) and converted one tile at a time in the pipeline
    x = x if normalization is not None else np.ascontiguousarray(x, dtype=np.float32)
    return x, y.astype(np.uint8, copy=False)


def make_dataset(images, masks, *, batch_size=8, augment=True, shuffle=True, seed=0,
                 repeat=False, normalization=None, **params):
    """Tiles to a batched, prefetched ``tf.data.Dataset`` augmented on the fly, for `model.fit`.

    Each element gets its own `numpy.random.Generator`, seeded from `seed`, its tile index and
    a per-epoch key from ``tf.data.Dataset.random(seed, rerandomize_each_iteration=True)``: two
    runs with one `seed` see the same batches, and each new epoch (a new iteration over the
    dataset, as `model.fit` does, or a pass of `repeat`) sees new augmentations and, with
    `shuffle`, a new order. `augment_pair` runs in ``tf.numpy_function`` mapped with
    ``num_parallel_calls=tf.data.AUTOTUNE`` (order preserved, so results do not depend on
    thread timing).

    Parameters
    ----------
    images : (N, H, W, 1) ndarray
        Normalised float tiles, or raw tiles (any numeric dtype) with `normalization`.
    masks : (N, H, W, 1) ndarray
        Binary: bool, {0, 1} or {0, 255}. Held as uint8 and converted to float32 one tile
        at a time.
    batch_size : int
    augment : bool
        Apply `augment_pair`; False passes tiles through unchanged (validation data).
    shuffle : bool
        Reshuffle the tiles every epoch.
    seed : int
        Seed of the order and of every augmentation.
    repeat : bool
        Repeat forever (then pass ``steps_per_epoch`` to `model.fit`).
    normalization : segkit.io.Normalization, optional
        Applied to each tile as it is read, before augmentation: the tiles stay in their
        own dtype in memory (uint8 EM tiles take a quarter of the memory of float32), and
        the network sees exactly what ``normalization(images)`` would give.
    **params
        `augment_pair` arguments: ``transforms`` and overrides of `DEFAULT_PARAMS`.

    Returns
    -------
    tf.data.Dataset
        Of ``(x, y)``, both float32 ``(batch, H, W, 1)``, y in {0, 1}.

    Notes
    -----
    Call ``model.fit(ds, shuffle=False, ...)``: the dataset already shuffles, and Keras 3.15
    warns that its own ``shuffle=True`` default is ignored for a ``tf.data.Dataset``.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32)
    >>> ds = make_dataset(x, x > 0.5, batch_size=2, seed=1, transforms=["dihedral"])
    >>> bx, by = next(iter(ds))
    >>> tuple(bx.shape), bx.dtype.name, sorted(np.unique(by.numpy()).tolist())
    ((2, 8, 8, 1), 'float32', [0.0, 1.0])
    """
    import tensorflow as tf

    x, y = _validate_tiles(images, masks, normalization)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    transforms = _check_transforms(params.pop("transforms", _DEFAULT_TRANSFORMS))
    _check_params(params)  # fail here, not inside the graph
    n, h, w, _ = x.shape

    def _load(index, key):
        i = int(index)
        xi = normalised(x[i], normalization)  # float32 already without one: no copy
        yi = y[i].astype(np.float32)
        if not augment:
            return xi, yi
        rng = np.random.default_rng([seed, int(key) % 2**63, i])
        return augment_pair(xi, yi, rng=rng, transforms=transforms, **params)

    def _map(index, key):
        xi, yi = tf.numpy_function(_load, [index, key], (tf.float32, tf.float32),
                                   stateful=False)
        xi.set_shape((h, w, 1))
        yi.set_shape((h, w, 1))
        return xi, yi

    idx = tf.data.Dataset.range(n)
    if shuffle:
        idx = idx.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip((idx, keys))
    if repeat:
        ds = ds.repeat()
    ds = ds.map(_map, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
