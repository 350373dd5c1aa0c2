//! File metadata from uploaded bytes: the real format and dimensions, read from the header only.
//!
//! The name a browser sends and the type it declares are never trusted: the media type comes
//! from the file's magic bytes, and images are measured without being decoded.

use serde::Serialize;

pub use formwork_schema::model::MAX_IMAGE_SIDE;

/// What the validator needs to know about an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileMeta {
    /// The file name as uploaded (display only).
    pub name: String,
    /// Media type sniffed from the bytes (e.g. `image/png`).
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Width in pixels, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl FileMeta {
    /// The metadata as the JSON a submission carries for a file.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Reads a file's real media type (and, for images, its dimensions) from its first bytes.
///
/// `head` needs only the first few KiB of the file (64 KiB covers JPEGs with large EXIF
/// blocks); `size` is the full size. Images whose header cannot be read are reported as
/// `application/octet-stream` without dimensions, so a media-type rule rejects them.
pub fn sniff(name: &str, head: &[u8], size: u64) -> FileMeta {
    let (media_type, dims) = match imagesize::image_type(head) {
        Ok(t) => {
            let mt = image_media_type(t);
            match (mt, imagesize::blob_size(head)) {
                (Some(mt), Ok(d)) => (mt.to_string(), Some(d)),
                _ => (String::from("application/octet-stream"), None),
            }
        }
        Err(_) => (other_media_type(head).to_string(), None),
    };
    FileMeta {
        name: name.to_string(),
        media_type,
        size,
        width: dims.map(|d| u32::try_from(d.width).unwrap_or(u32::MAX)),
        height: dims.map(|d| u32::try_from(d.height).unwrap_or(u32::MAX)),
    }
}

/// Whether an image's bytes are complete: the structure its format ends with is there (PNG's
/// `IEND` chunk, JPEG's end-of-image marker, GIF's trailer, the RIFF size of WebP). A truncated
/// upload passes a header check but is not a whole image. Other types are not checked.
pub fn is_complete(media_type: &str, bytes: &[u8]) -> bool {
    match media_type {
        "image/png" => {
            bytes.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82])
        }
        // Some encoders pad after the end-of-image marker: look for it near the end.
        "image/jpeg" => bytes[bytes.len().saturating_sub(64)..]
            .windows(2)
            .any(|w| w == [0xFF, 0xD9]),
        "image/gif" => bytes.last() == Some(&0x3B),
        "image/webp" => bytes
            .get(4..8)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .is_some_and(|b| u64::from(u32::from_le_bytes(b)) + 8 <= bytes.len() as u64),
        _ => true,
    }
}

/// [`sniff`] of a whole file: a truncated image is reported as `application/octet-stream`
/// without dimensions, like one whose header cannot be read, so a media-type rule rejects it.
pub fn sniff_whole(name: &str, bytes: &[u8], head_limit: usize) -> FileMeta {
    let mut meta = sniff(
        name,
        &bytes[..bytes.len().min(head_limit)],
        bytes.len() as u64,
    );
    if !is_complete(&meta.media_type, bytes) {
        meta.media_type = String::from("application/octet-stream");
        meta.width = None;
        meta.height = None;
    }
    meta
}

fn image_media_type(t: imagesize::ImageType) -> Option<&'static str> {
    use imagesize::ImageType as T;
    Some(match t {
        T::Png => "image/png",
        T::Jpeg => "image/jpeg",
        T::Gif => "image/gif",
        T::Webp => "image/webp",
        T::Bmp => "image/bmp",
        T::Tiff => "image/tiff",
        T::Ico => "image/x-icon",
        _ => return None,
    })
}

fn other_media_type(head: &[u8]) -> &'static str {
    if head.starts_with(b"%PDF-") {
        "application/pdf"
    } else if let Ok(text) = std::str::from_utf8(head) {
        let t = text.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            "application/json"
        } else {
            "text/plain"
        }
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;

    /// A minimal PNG header: signature + IHDR with the given size.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut v = vec![
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
        ];
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        v
    }

    #[test]
    fn png_is_read_from_its_bytes_whatever_its_name() {
        let m = sniff("icon.jpg", &png(512, 256), 1234);
        assert_eq!(
            (m.media_type.as_str(), m.width, m.height, m.size),
            ("image/png", Some(512), Some(256), 1234)
        );
    }

    #[test]
    fn gif_named_png_is_a_gif() {
        let gif = b"GIF89a\x10\x00\x20\x00\x00\x00\x00";
        let m = sniff("icon.png", gif, 13);
        assert_eq!(
            (m.media_type.as_str(), m.width, m.height),
            ("image/gif", Some(16), Some(32))
        );
    }

    #[test]
    fn text_and_garbage_have_no_dimensions() {
        assert_eq!(
            sniff("a.json", b"{\"a\":1}", 7).media_type,
            "application/json"
        );
        assert_eq!(
            sniff("a.png", &[0xff, 0x00, 0x13], 3).media_type,
            "application/octet-stream"
        );
        assert_eq!(sniff("a.png", &[0xff, 0x00, 0x13], 3).width, None);
    }
}

#[cfg(test)]
mod completeness {
    use super::*;

    #[test]
    fn truncated_images_are_not_complete() {
        let png_end = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
        let mut png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        assert!(!is_complete("image/png", &png));
        png.extend_from_slice(&png_end);
        assert!(is_complete("image/png", &png));
        assert!(is_complete("image/jpeg", &[0xFF, 0xD8, 1, 2, 0xFF, 0xD9]));
        assert!(is_complete(
            "image/jpeg",
            &[0xFF, 0xD8, 1, 2, 0xFF, 0xD9, 0, 0]
        ));
        assert!(!is_complete("image/jpeg", &[0xFF, 0xD8, 1, 2, 3]));
        assert!(is_complete("image/gif", b"GIF89a...;"));
        assert!(!is_complete("image/gif", b"GIF89a..."));
        let mut webp = b"RIFF\x08\x00\x00\x00WEBPVP8 ".to_vec();
        assert!(is_complete("image/webp", &webp));
        webp.truncate(10);
        assert!(!is_complete("image/webp", &webp));
        assert!(is_complete("application/pdf", b"%PDF-"));
    }
}
