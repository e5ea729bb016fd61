/** One split of an image dataset: 8-bit pixels in NHWC order and integer class labels. */
export interface ImageSplit {
  /** size * height * width * channels bytes, NHWC, 0..255. */
  pixels: Uint8Array;
  /** size class indices in [0, classNames.length). */
  labels: Int32Array;
  size: number;
}

/** An image classification dataset as the engine sees it. */
export interface ImageDataset {
  name: string;
  classNames: string[];
  /** [height, width, channels], channels 1 (grey) or 3 (RGB). */
  shape: [number, number, number];
  /** Used to train the original model. */
  train: ImageSplit;
  /** Used to report accuracy. */
  test: ImageSplit;
  /** Never trained on: the non-members of the membership-inference attack. */
  heldout: ImageSplit;
}
