//! Server-side PDF rendering of evidence packs and reports with `pdf-writer`: A4 pages of
//! text in the PDF base fonts (Helvetica for prose, Courier for tables, so columns line up
//! without font metrics), wrapped and paginated here. Base fonts need no embedding, and any
//! PDF reader (and `pdftotext`) can read the text back, which is what an evidence pack is for.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// One block of a document.
#[derive(Debug, Clone)]
pub enum Block {
    Title(String),
    Heading(String),
    /// Prose, wrapped at the page width.
    Text(String),
    /// Monospaced lines (tables), cut at the page width.
    Mono(Vec<String>),
}

/// A document to render: its title (also in the PDF's metadata) and blocks.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: impl Into<String>) -> Self {
        let title = title.into();
        Self {
            blocks: vec![Block::Title(title.clone())],
            title,
        }
    }
    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(text.into()));
        self
    }
    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Text(text.into()));
        self
    }
    pub fn mono(&mut self, lines: Vec<String>) -> &mut Self {
        self.blocks.push(Block::Mono(lines));
        self
    }
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 40.0;
const MONO_SIZE: f32 = 7.0;
/// Courier's advance is 0.6 em.
const MONO_COLUMNS: usize = ((PAGE_WIDTH - 2.0 * MARGIN) / (MONO_SIZE * 0.6)) as usize;
const TEXT_SIZE: f32 = 10.0;
/// A conservative characters-per-line for Helvetica at 10 pt (average advance ≈ 0.5 em).
const TEXT_COLUMNS: usize = 95;

/// One line laid out: which font, its size, its text.
struct Line {
    font: &'static [u8],
    size: f32,
    text: String,
    space_before: f32,
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        for word in paragraph.split_whitespace() {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        lines.push(current);
    }
    lines
}

fn layout(document: &Document) -> Vec<Line> {
    let mut lines = Vec::new();
    for block in &document.blocks {
        match block {
            Block::Title(text) => lines.extend(wrap(text, 55).into_iter().map(|text| Line {
                font: b"F2",
                size: 16.0,
                text,
                space_before: 4.0,
            })),
            Block::Heading(text) => lines.push(Line {
                font: b"F2",
                size: 12.0,
                text: text.clone(),
                space_before: 10.0,
            }),
            Block::Text(text) => {
                lines.extend(wrap(text, TEXT_COLUMNS).into_iter().map(|text| Line {
                    font: b"F1",
                    size: TEXT_SIZE,
                    text,
                    space_before: 1.0,
                }))
            }
            Block::Mono(rows) => lines.extend(rows.iter().map(|row| Line {
                font: b"F3",
                size: MONO_SIZE,
                text: row.chars().take(MONO_COLUMNS).collect(),
                space_before: 0.5,
            })),
        }
    }
    lines
}

/// The base fonts use WinAnsi encoding: Latin-1 characters map to their code, anything else
/// becomes `?` (the CSV and JSON exports keep the exact text).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            code @ 0x20..=0x7e | code @ 0xa0..=0xff => code as u8,
            _ => b'?',
        })
        .collect()
}

/// Renders `document` as PDF bytes, with page numbers in the footer.
pub fn render(document: &Document) -> Vec<u8> {
    let lines = layout(document);
    let mut pages: Vec<Vec<&Line>> = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN;
    for line in &lines {
        let step = line.size * 1.25 + line.space_before;
        if y - step < MARGIN + 20.0 {
            pages.push(Vec::new());
            y = PAGE_HEIGHT - MARGIN;
        }
        y -= step;
        if let Some(page) = pages.last_mut() {
            page.push(line);
        }
    }
    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let fonts = [
        (Name(b"F1"), Ref::new(3), Name(b"Helvetica")),
        (Name(b"F2"), Ref::new(4), Name(b"Helvetica-Bold")),
        (Name(b"F3"), Ref::new(5), Name(b"Courier")),
    ];
    let info_id = Ref::new(6);
    let first_page = 10;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|index| Ref::new(first_page + 2 * index as i32))
        .collect();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    for (_, id, base) in fonts {
        pdf.type1_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info_id)
        .title(TextStr(&document.title))
        .producer(TextStr("careaudit"));
    let total = pages.len();
    for (index, page_lines) in pages.iter().enumerate() {
        let page_id = page_ids[index];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree_id);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut font_dict = resources.fonts();
        for (name, id, _) in fonts {
            font_dict.pair(name, id);
        }
        font_dict.finish();
        resources.finish();
        page.finish();
        let mut content = Content::new();
        let mut y = PAGE_HEIGHT - MARGIN;
        for line in page_lines {
            y -= line.size * 1.25 + line.space_before;
            content.begin_text();
            content.set_font(Name(line.font), line.size);
            content.next_line(MARGIN, y);
            content.show(Str(&win_ansi(&line.text)));
            content.end_text();
        }
        let footer = format!("{} - page {} of {}", document.title, index + 1, total);
        content.begin_text();
        content.set_font(Name(b"F1"), 7.0);
        content.next_line(MARGIN, MARGIN - 10.0);
        content.show(Str(&win_ansi(&footer)));
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("one\ntwo", 80), ["one", "two"]);
    }

    #[test]
    fn long_documents_paginate_and_text_survives() {
        let mut document = Document::new("Patient trace 9990001283");
        document.text("Everything here is checked. é and → are encoded.");
        document.mono((0..400).map(|row| format!("row {row}")).collect());
        let bytes = render(&document);
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("(row 399)"), "the last row is on a page");
        assert!(text.contains("page 5 of "), "400 rows take several pages");
        assert_eq!(win_ansi("é→"), [0xe9, b'?']);
    }
}
