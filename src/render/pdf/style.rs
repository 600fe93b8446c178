//! Colours, alignment and text styles. Colours differ in lightness as
//! well as hue, so a greyscale print keeps them apart.

use printpdf::{Color, Rgb};

/// A grey of `level` (0 black, 1 white).
pub fn grey(level: f32) -> Color {
    rgb(level, level, level)
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// The accent: a dark blue that prints as a dark grey.
pub fn accent() -> Color {
    rgb(0.12, 0.33, 0.62)
}

/// A light blue that prints as a light grey.
pub fn accent_light() -> Color {
    rgb(0.72, 0.8, 0.9)
}

/// Red for warnings, overdue amounts and the sample-data flag.
pub fn alert() -> Color {
    rgb(0.75, 0.1, 0.1)
}

/// Horizontal alignment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Align {
    /// Text starts at x.
    Left,
    /// Text ends at x.
    Right,
    /// Text is centred on x.
    Center,
}

/// Size and colour of a piece of text.
#[derive(Clone, Debug)]
pub struct Style {
    /// Font size in points.
    pub size: f32,
    /// Fill colour.
    pub color: Color,
}

impl Style {
    /// A style of `size` points in `color`.
    pub fn new(size: f32, color: Color) -> Self {
        Self { size, color }
    }
}
