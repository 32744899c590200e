/** The app's one error type, for the UI's own checks (images, forms): components reach it through state. */
export { GlimpseError } from '../engine/errors';
