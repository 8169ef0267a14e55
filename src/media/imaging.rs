//! Images in and out: dimensions read from the header before anything is decoded, decoding with
//! memory limits (one large decode at a time per instance), EXIF orientation applied, and
//! re-encoding, which is what strips EXIF and XMP metadata: the encoders write pixels only.
//! Blocking and CPU-bound: callers run it off the async workers.

use std::io::Cursor;
use std::sync::Mutex;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::media::sniff::FileType;

/// No side may be longer, and no image larger: past these, a small file may still unpack into
/// gigabytes (a decompression bomb).
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 40_000_000;
/// What a decoder may allocate: a 40-megapixel image with an alpha channel, and some room.
const MAX_ALLOC: u64 = 200 * 1024 * 1024;
/// Decodes of images larger than this take the instance's one large-decode slot, so two big
/// uploads at once cannot add their peaks together.
const LARGE_PIXELS: u64 = 4_000_000;
static LARGE_DECODE: Mutex<()> = Mutex::new(());
/// Animated GIFs: at most this many frames, and frames times pixels at most `MAX_PIXELS`.
const MAX_FRAMES: usize = 1_000;

/// Quality of the copy served as the original (a re-encode of the upload) and of renditions.
const ORIGINAL_JPEG_QUALITY: u8 = 90;
const ORIGINAL_WEBP_QUALITY: f32 = 90.0;
const RENDITION_JPEG_QUALITY: u8 = 82;

/// How a rendition is cut from the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cut {
    /// The whole image, as large as it is.
    Whole,
    /// Scaled to this width (never wider than the image).
    Width(u32),
    /// Cropped to this aspect ratio around the focal point, then scaled to fit these sizes.
    Fill(u32, u32),
}

/// The formats renditions are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl Encoding {
    pub fn of(file_type: FileType) -> Option<Encoding> {
        Some(match file_type {
            FileType::Jpeg => Encoding::Jpeg,
            FileType::Png => Encoding::Png,
            FileType::Gif => Encoding::Gif,
            FileType::Webp => Encoding::Webp,
            _ => return None,
        })
    }

    pub fn ext(self) -> &'static str {
        match self {
            Encoding::Jpeg => "jpg",
            Encoding::Png => "png",
            Encoding::Gif => "gif",
            Encoding::Webp => "webp",
        }
    }

    pub fn from_ext(ext: &str) -> Option<Encoding> {
        Encoding::of(FileType::from_ext(ext)?)
    }

    pub fn mime(self) -> &'static str {
        match self {
            Encoding::Jpeg => "image/jpeg",
            Encoding::Png => "image/png",
            Encoding::Gif => "image/gif",
            Encoding::Webp => "image/webp",
        }
    }
}

/// An image ready to store: its encoded bytes and size.
#[derive(Debug)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn format(file_type: FileType) -> Result<ImageFormat, String> {
    Ok(match file_type {
        FileType::Jpeg => ImageFormat::Jpeg,
        FileType::Png => ImageFormat::Png,
        FileType::Gif => ImageFormat::Gif,
        FileType::Webp => ImageFormat::WebP,
        other => return Err(format!("a {} is not an image", other.label())),
    })
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn not_valid(file_type: FileType) -> String {
    format!(
        "The file is not a valid {}: it may be damaged, or something else with an image's name.",
        file_type.label()
    )
}

/// Refuses sizes past the limits, with the reason.
pub fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("The image has no pixels.".into());
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "The image is {width} × {height} pixels: no side may be longer than {MAX_SIDE}. Scale it down first."
        ));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "The image is {width} × {height} pixels, over {} megapixels. Scale it down first.",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

fn decoder(bytes: &[u8], file_type: FileType) -> Result<impl ImageDecoder + '_, String> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format(file_type)?);
    reader.limits(limits());
    reader.into_decoder().map_err(|_| not_valid(file_type))
}

/// The image's size from its header, without decoding it.
pub fn dimensions(bytes: &[u8], file_type: FileType) -> Result<(u32, u32), String> {
    let (width, height) = decoder(bytes, file_type)?.dimensions();
    check_size(width, height)?;
    Ok((width, height))
}

/// Runs `f` in the large-decode slot when the image is large. A GIF always takes it: its frames
/// add up, and the header tells the size of one.
fn in_slot<T>(file_type: FileType, width: u32, height: u32, f: impl FnOnce() -> T) -> T {
    if file_type == FileType::Gif || u64::from(width) * u64::from(height) > LARGE_PIXELS {
        let _slot = LARGE_DECODE.lock().unwrap_or_else(|e| e.into_inner());
        f()
    } else {
        f()
    }
}

/// Decodes an image whose size passed [`check_size`], turned upright as its EXIF says.
pub fn decode(bytes: &[u8], file_type: FileType) -> Result<DynamicImage, String> {
    let mut decoder = decoder(bytes, file_type)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| not_valid(file_type))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The upload as visitors get it: decoded, turned upright and encoded again in its own format,
/// which leaves every byte of metadata behind (and any non-image bytes a polyglot carried).
pub fn clean(bytes: &[u8], file_type: FileType) -> Result<Encoded, String> {
    let (width, height) = dimensions(bytes, file_type)?;
    in_slot(file_type, width, height, || {
        if file_type == FileType::Gif {
            return clean_gif(bytes);
        }
        let image = decode(bytes, file_type)?;
        let encoding = Encoding::of(file_type).ok_or_else(|| not_valid(file_type))?;
        encode(
            &image,
            encoding,
            ORIGINAL_JPEG_QUALITY,
            ORIGINAL_WEBP_QUALITY,
        )
    })
}

/// GIFs keep their animation: each frame is decoded and written again.
fn clean_gif(bytes: &[u8]) -> Result<Encoded, String> {
    let invalid = || not_valid(FileType::Gif);
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|_| invalid())?;
    decoder.set_limits(limits()).map_err(|_| invalid())?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        let frame = frame.map_err(|_| invalid())?;
        frames.push(frame);
        if frames.len() > MAX_FRAMES || pixels * frames.len() as u64 > MAX_PIXELS {
            return Err(format!(
                "The animation is too large (at most {MAX_FRAMES} frames, and {} megapixels in all).",
                MAX_PIXELS / 1_000_000
            ));
        }
    }
    if frames.is_empty() {
        return Err(invalid());
    }
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|_| invalid())?;
        encoder.encode_frames(frames).map_err(|e| e.to_string())?;
    }
    Ok(Encoded {
        bytes: out,
        width,
        height,
    })
}

/// Encodes an image. JPEG has no alpha channel, so transparent pixels go onto black there.
pub fn encode(
    image: &DynamicImage,
    encoding: Encoding,
    jpeg_quality: u8,
    webp_quality: f32,
) -> Result<Encoded, String> {
    let (width, height) = (image.width(), image.height());
    let mut bytes = Vec::new();
    let failed = |e: image::ImageError| format!("encoding the image failed: {e}");
    match encoding {
        Encoding::Jpeg => {
            let rgb = image.to_rgb8();
            JpegEncoder::new_with_quality(&mut bytes, jpeg_quality)
                .encode_image(&rgb)
                .map_err(failed)?;
        }
        Encoding::Png => image
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(failed)?,
        Encoding::Gif => {
            let frame = image::Frame::new(image.to_rgba8());
            GifEncoder::new_with_speed(&mut bytes, 10)
                .encode_frame(frame)
                .map_err(failed)?;
        }
        Encoding::Webp => {
            let memory = if image.color().has_alpha() {
                let rgba = image.to_rgba8();
                webp::Encoder::from_rgba(&rgba, width, height).encode(webp_quality)
            } else {
                let rgb = image.to_rgb8();
                webp::Encoder::from_rgb(&rgb, width, height).encode(webp_quality)
            };
            bytes.extend_from_slice(&memory);
        }
    }
    Ok(Encoded {
        bytes,
        width,
        height,
    })
}

/// The size of a rendition of a `width` × `height` image, or `None` when the cut asks for more
/// than the image has (a width over its own).
pub fn size_of(cut: Cut, width: u32, height: u32) -> Option<(u32, u32)> {
    match cut {
        Cut::Whole => Some((width, height)),
        Cut::Width(w) if w > width => None,
        Cut::Width(w) => Some((w, scaled(height, w, width))),
        Cut::Fill(w, h) => {
            let (cw, ch) = crop_size(width, height, w, h);
            let out_w = w.min(cw);
            Some((out_w, scaled(ch, out_w, cw).max(1)))
        }
    }
}

/// `n` scaled by `to / from`, rounded, at least 1.
fn scaled(n: u32, to: u32, from: u32) -> u32 {
    let v = (u64::from(n) * u64::from(to) + u64::from(from) / 2) / u64::from(from.max(1));
    u32::try_from(v).unwrap_or(u32::MAX).max(1)
}

/// The largest part of a `width` × `height` image with the aspect ratio of `w` × `h`.
fn crop_size(width: u32, height: u32, w: u32, h: u32) -> (u32, u32) {
    let by_height = scaled(height, w, h);
    if by_height <= width {
        (by_height, height)
    } else {
        (width, scaled(width, h, w).min(height))
    }
}

/// Where a crop of `crop` starts along a side of `side`, centred on `focal` percent and kept inside.
fn crop_start(side: u32, crop: u32, focal: i32) -> u32 {
    let centre = u64::from(side) * u64::from(focal.clamp(0, 100) as u32) / 100;
    let start = centre.saturating_sub(u64::from(crop) / 2);
    (start as u32).min(side - crop)
}

/// Cuts a rendition from an (upright) image. A large reduction first takes a quick integer
/// thumbnail to twice the size, then a good filter: as sharp, in a fraction of the time.
pub fn cut(image: &DynamicImage, cut: Cut, focal: (i32, i32)) -> DynamicImage {
    let (width, height) = (image.width(), image.height());
    let Some((out_w, out_h)) = size_of(cut, width, height) else {
        return image.clone();
    };
    let source = match cut {
        Cut::Whole => return image.clone(),
        Cut::Width(_) => std::borrow::Cow::Borrowed(image),
        Cut::Fill(w, h) => {
            let (cw, ch) = crop_size(width, height, w, h);
            let x = crop_start(width, cw, focal.0);
            let y = crop_start(height, ch, focal.1);
            std::borrow::Cow::Owned(image.crop_imm(x, y, cw, ch))
        }
    };
    resize(&source, out_w, out_h)
}

fn resize(image: &DynamicImage, w: u32, h: u32) -> DynamicImage {
    if image.width() == w && image.height() == h {
        return image.clone();
    }
    if image.width() > w * 3 {
        image
            .thumbnail_exact(w * 2, h * 2)
            .resize_exact(w, h, FilterType::CatmullRom)
    } else {
        image.resize_exact(w, h, FilterType::CatmullRom)
    }
}

/// Makes several renditions of one stored image, decoding it once; the large-decode slot is
/// held for the whole batch.
pub fn renditions(
    bytes: &[u8],
    file_type: FileType,
    wanted: &[(Cut, Encoding)],
    focal: (i32, i32),
    webp_quality: u8,
) -> Result<Vec<Encoded>, String> {
    let (width, height) = dimensions(bytes, file_type)?;
    in_slot(file_type, width, height, || {
        let image = decode(bytes, file_type)?;
        let (width, height) = (image.width(), image.height());
        // Widest first: each narrower width is cut from the last one made, not the full image.
        let mut order: Vec<usize> = (0..wanted.len()).collect();
        order.sort_by_key(|&i| match wanted[i].0 {
            Cut::Width(w) => std::cmp::Reverse(w),
            _ => std::cmp::Reverse(u32::MAX),
        });
        let mut made: Vec<Option<Encoded>> = (0..wanted.len()).map(|_| None).collect();
        let mut last: Option<(u32, DynamicImage)> = None;
        for i in order {
            let (c, encoding) = wanted[i];
            // The size comes from the full image, so a rendition is the same size however it
            // was made.
            let picture = match (c, &last) {
                (Cut::Width(w), Some((lw, prev))) if *lw == w => prev.clone(),
                (Cut::Width(w), Some((_, prev))) if prev.width() >= w => {
                    let (out_w, out_h) = size_of(c, width, height).unwrap_or((w, prev.height()));
                    resize(prev, out_w, out_h)
                }
                _ => cut(&image, c, focal),
            };
            if let Cut::Width(w) = c {
                last = Some((w, picture.clone()));
            }
            made[i] = Some(encode(
                &picture,
                encoding,
                RENDITION_JPEG_QUALITY,
                f32::from(webp_quality.min(100)),
            )?);
        }
        Ok(made.into_iter().flatten().collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_never_exceed_the_image() {
        assert_eq!(size_of(Cut::Width(640), 1000, 500), Some((640, 320)));
        assert_eq!(size_of(Cut::Width(1280), 1000, 500), None);
        assert_eq!(size_of(Cut::Fill(1200, 630), 4000, 3000), Some((1200, 630)));
        assert_eq!(size_of(Cut::Fill(1200, 630), 600, 600), Some((600, 315)));
        assert_eq!(size_of(Cut::Whole, 10, 20), Some((10, 20)));
    }

    #[test]
    fn a_crop_follows_the_focal_point_and_stays_inside() {
        assert_eq!(crop_start(1000, 500, 0), 0);
        assert_eq!(crop_start(1000, 500, 50), 250);
        assert_eq!(crop_start(1000, 500, 100), 500);
        assert_eq!(crop_start(1000, 1000, 80), 0);
    }

    #[test]
    fn sizes_past_the_limits_are_refused() {
        assert!(check_size(12_000, 3_000).is_ok());
        assert!(check_size(12_001, 10).is_err());
        assert!(check_size(8_000, 6_000).is_err());
        assert!(check_size(0, 10).is_err());
    }

    #[test]
    fn a_png_round_trips_with_renditions() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            800,
            600,
            image::Rgb([200, 30, 30]),
        ));
        let png = encode(&image, Encoding::Png, 90, 80.0).unwrap();
        let cleaned = clean(&png.bytes, FileType::Png).unwrap();
        assert_eq!((cleaned.width, cleaned.height), (800, 600));
        let made = renditions(
            &cleaned.bytes,
            FileType::Png,
            &[
                (Cut::Width(320), Encoding::Webp),
                (Cut::Width(640), Encoding::Png),
                (Cut::Fill(400, 400), Encoding::Jpeg),
            ],
            (50, 50),
            80,
        )
        .unwrap();
        let sizes: Vec<_> = made.iter().map(|e| (e.width, e.height)).collect();
        assert_eq!(sizes, vec![(320, 240), (640, 480), (400, 400)]);
        assert!(made[0].bytes.starts_with(b"RIFF"));
    }
}
