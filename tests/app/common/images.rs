//! Files for the media tests, made here: images in each format, a JPEG with EXIF metadata (an
//! orientation and a GPS position), and hostile files (a bomb, a polyglot, SVG, HEIC).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// A `width` × `height` image: red on the left half, blue on the right.
pub fn picture(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 30, 30])
        } else {
            Rgb([30, 30, 220])
        }
    }))
}

pub fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let image = if format == ImageFormat::Gif {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        image.clone()
    };
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(&picture(width, height), ImageFormat::Png)
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encoded(&picture(width, height), ImageFormat::Jpeg)
}

/// What the EXIF of [`jpeg_with_exif`] carries, to look for in what is served.
pub const GPS_MARKER: &[u8] = b"GPS-51.5074N-0.1278W";
pub const SERIAL_MARKER: &[u8] = b"CAMERA-SERIAL-8675309";

/// A JPEG stored `width` × `height` whose EXIF says "rotate 90° clockwise" (orientation 6) and
/// carries a GPS IFD and a description with the markers above.
pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    // TIFF, little-endian: IFD0 at 8 with 3 entries (orientation, description, GPS IFD pointer),
    // then the GPS IFD with one entry, then the strings.
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let ifd0_len = 2 + 3 * 12 + 4;
    let gps_at = 8 + ifd0_len;
    let gps_len = 2 + 12 + 4;
    let description_at = gps_at + gps_len;
    let processing_at = description_at + SERIAL_MARKER.len() as u32 + 1;
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value.to_le_bytes());
        e
    };
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend(entry(
        0x010E,
        2,
        SERIAL_MARKER.len() as u32 + 1,
        description_at,
    ));
    tiff.extend(entry(0x0112, 3, 1, 6));
    tiff.extend(entry(0x8825, 4, 1, gps_at));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend(entry(0x001B, 7, GPS_MARKER.len() as u32, processing_at));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(SERIAL_MARKER);
    tiff.push(0);
    tiff.extend_from_slice(GPS_MARKER);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A small PNG whose header claims `width` × `height`: a decompression bomb's first line.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    // The IHDR chunk: length (4), type (4), width, height, ..., CRC over type and data.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    bytes
}

/// PNG's signature in front of an HTML page with script.
pub fn png_polyglot() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    bytes
}

pub const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect width=\"10\" height=\"10\"/></svg>";
pub const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
pub const ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// The width and height of an encoded image.
pub fn size_of(bytes: &[u8]) -> (u32, u32) {
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .expect("an image")
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
