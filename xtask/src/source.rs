//! What `refresh` reads: Explorium's full published document (JSON), or one documentation page
//! exported as markdown, whose OpenAPI block at the end is one operation's document.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::extract::{extract_all, METHODS};
use crate::json;
use crate::version::version_of;

/// The two forms Explorium publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The full document: every operation.
    Full,
    /// A documentation page: one operation.
    Page,
}

impl Form {
    /// `full` or `page`, for the JSON report.
    pub fn key(self) -> &'static str {
        match self {
            Form::Full => "full",
            Form::Page => "page",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Form::Full => "full document",
            Form::Page => "documentation page",
        }
    }
}

/// One operation's document as the source gives it.
#[derive(Debug, Clone)]
pub struct SourceDocument {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    /// The file name it is written under in `openapi/upstream/`.
    pub file_name: String,
    /// The file's content.
    pub text: String,
    pub value: Value,
}

/// A source, read and split into operations.
#[derive(Debug, Clone)]
pub struct Source {
    /// How the user named it (a path or a URL).
    pub name: String,
    pub form: Form,
    pub title: String,
    pub version: String,
    pub documents: Vec<SourceDocument>,
    /// What the extracts leave out of the source, said in the report.
    pub notes: Vec<String>,
}

/// Reads `source` (a file path, or an `https://` URL) and splits it.
pub fn load(source: &str) -> Result<Source, String> {
    let text = if source.contains("://") {
        fetch(source)?
    } else {
        let path = Path::new(source);
        let bytes = std::fs::read(path).map_err(|e| format!("{source}: cannot read: {e}"))?;
        String::from_utf8(bytes).map_err(|_| format!("{source}: not UTF-8 text"))?
    };
    parse(source, &text)
}

/// Fetches an `https://` URL; any other scheme is refused before anything is sent.
pub fn fetch(url: &str) -> Result<String, String> {
    if !url.starts_with("https://") {
        return Err(format!(
            "{url}: only https:// URLs are fetched (or give a file path)"
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .https_only(true)
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{url}: the server answered {status}"));
        }
        let body = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        String::from_utf8(body.to_vec()).map_err(|_| format!("{url}: the body is not UTF-8 text"))
    })
}

/// Splits a source's text: JSON is a full document, anything else a markdown page.
pub fn parse(name: &str, text: &str) -> Result<Source, String> {
    let fail = |message: String| format!("{name}: {message}");
    if text.trim_start().starts_with('{') {
        let document = json::parse(text).map_err(fail)?;
        let (extracts, notes) = extract_all(&document).map_err(fail)?;
        let info = document.get("info");
        let title = info
            .and_then(|i| i.get("title"))
            .and_then(json::Json::as_str)
            .unwrap_or_default()
            .to_string();
        let version = info
            .and_then(|i| i.get("version"))
            .and_then(json::Json::as_str)
            .ok_or_else(|| fail("no `info.version`: which version is this?".into()))?
            .to_string();
        let documents = extracts
            .into_iter()
            .map(|e| {
                let value = serde_json::from_str(&e.text).map_err(|e| fail(e.to_string()))?;
                Ok(SourceDocument {
                    file_name: format!("{}.json", e.operation_id),
                    operation_id: e.operation_id,
                    method: e.method,
                    path: e.path,
                    text: e.text,
                    value,
                })
            })
            .collect::<Result<_, String>>()?;
        return Ok(Source {
            name: name.into(),
            form: Form::Full,
            title,
            version,
            documents,
            notes,
        });
    }
    let block = openapi_block(text).map_err(|e| {
        let yaml: Option<Value> = serde_saphyr::from_str(text).ok();
        if yaml.is_some_and(|v| v.get("openapi").is_some()) {
            fail(
                "an OpenAPI document in YAML: the full document is read in the JSON form \
                  Explorium publishes (its extracts copy the JSON as published)"
                    .into(),
            )
        } else {
            fail(e)
        }
    })?;
    let value: Value = serde_saphyr::from_str(&block.content)
        .map_err(|e| fail(format!("the OpenAPI block is not valid YAML: {e}")))?;
    let (operation_id, method, path) = one_operation(&value).map_err(fail)?;
    if let Some((m, p)) = &block.operation {
        if !m.eq_ignore_ascii_case(&method) || *p != path {
            return Err(fail(format!(
                "the OpenAPI block is labelled `{m} {p}` but holds {} {path}",
                method.to_uppercase()
            )));
        }
    }
    let version =
        version_of(&value).ok_or_else(|| fail("the OpenAPI block has no `info.version`".into()))?;
    let title = value["info"]["title"].as_str().unwrap_or_default().into();
    Ok(Source {
        name: name.into(),
        form: Form::Page,
        title,
        version,
        documents: vec![SourceDocument {
            file_name: format!("{operation_id}.{}", block.extension),
            operation_id,
            method,
            path,
            text: block.content,
            value,
        }],
        notes: Vec::new(),
    })
}

/// A document's one operation: `(operationId, method, path)`.
pub fn one_operation(document: &Value) -> Result<(String, String, String), String> {
    if document.get("openapi").is_none() {
        return Err("no `openapi` version field: not an OpenAPI document".into());
    }
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("no `paths` mapping")?;
    let mut found = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&method.as_str()) {
                found.push((path, method, operation));
            }
        }
    }
    let [(path, method, operation)] = found[..] else {
        return Err(format!(
            "holds {} operations; one document per operation is expected",
            found.len()
        ));
    };
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            format!(
                "{} {path} has no `operationId`, which names its document",
                method.to_uppercase()
            )
        })?;
    Ok((id.to_string(), method.clone(), path.clone()))
}

/// A page's OpenAPI block.
#[derive(Debug, PartialEq)]
pub struct Block {
    /// The lines between the fences, exactly (line endings made `\n`).
    pub content: String,
    /// `yaml` or `json`, from the fence's info string.
    pub extension: &'static str,
    /// `post /v1/...`, when the info string names it (Explorium's pages do).
    pub operation: Option<(String, String)>,
}

/// The page's last fenced code block in YAML or JSON that holds an OpenAPI document (a
/// top-level `openapi:` key). Fences as in CommonMark: three or more backticks or tildes,
/// indented up to three spaces, closed by the same character at least as many times.
pub fn openapi_block(page: &str) -> Result<Block, String> {
    let page = page.replace("\r\n", "\n");
    let lines: Vec<&str> = page.split_inclusive('\n').collect();
    let mut found = None;
    let mut index = 0;
    while index < lines.len() {
        let Some((indent, fence, info)) = opening_fence(lines[index]) else {
            index += 1;
            continue;
        };
        let close = (index + 1..lines.len()).find(|&i| closes(lines[i], fence));
        let Some(close) = close else {
            let language = info.split_whitespace().next().unwrap_or_default();
            if matches!(language, "yaml" | "yml" | "json") {
                return Err(format!(
                    "the `{language}` code block opened at line {} is never closed",
                    index + 1
                ));
            }
            break;
        };
        let content: String = lines[index + 1..close]
            .iter()
            .map(|line| strip_indent(line, indent))
            .collect();
        let mut words = info.split_whitespace();
        let extension = match words.next() {
            Some("yaml" | "yml") => Some("yaml"),
            Some("json") => Some("json"),
            _ => None,
        };
        let is_openapi = content
            .lines()
            .any(|l| l.starts_with("openapi:") || l.trim_start().starts_with("\"openapi\""));
        if let (Some(extension), true) = (extension, is_openapi) {
            let operation = match (words.next(), words.next()) {
                (Some(method), Some(path)) if METHODS.contains(&method.to_lowercase().as_str()) => {
                    Some((method.to_string(), path.to_string()))
                }
                _ => None,
            };
            found = Some(Block {
                content,
                extension,
                operation,
            });
        }
        index = close + 1;
    }
    found.ok_or_else(|| {
        "not JSON, and no OpenAPI block (a ```yaml or ```json code block holding `openapi:`) \
         in it as a markdown page"
            .to_string()
    })
}

/// `(indent, fence, info string)` if `line` opens a fenced code block.
fn opening_fence(line: &str) -> Option<(usize, &str, &str)> {
    let line = line.trim_end_matches('\n');
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let marker = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = rest.len() - rest.trim_start_matches(marker).len();
    if length < 3 {
        return None;
    }
    let info = rest[length..].trim();
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some((indent, &rest[..length], info))
}

fn closes(line: &str, fence: &str) -> bool {
    let line = line.trim_end_matches('\n');
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return false;
    }
    let rest = &line[indent..];
    let marker = fence.chars().next().unwrap_or('`');
    let length = rest.len() - rest.trim_start_matches(marker).len();
    length >= fence.len() && rest[length..].trim().is_empty()
}

/// A content line less up to `indent` leading spaces (the opening fence's indentation).
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_block_is_taken_verbatim() {
        let page = "# Title\n\n```json JSON\n{\"a\": 1}\n```\n\n## OpenAPI\n\n````yaml post /v1/x\nopenapi: 3.1.0\ninfo:\n  version: 1\n\n````";
        let block = openapi_block(page).unwrap();
        assert_eq!(block.content, "openapi: 3.1.0\ninfo:\n  version: 1\n\n");
        assert_eq!(block.extension, "yaml");
        assert_eq!(block.operation, Some(("post".into(), "/v1/x".into())));
    }

    #[test]
    fn crlf_and_indented_fences() {
        let page = "text\r\n  ~~~yml\r\n  openapi: 3.0.3\r\n   x: 1\r\n  ~~~\r\n";
        let block = openapi_block(page).unwrap();
        assert_eq!(block.content, "openapi: 3.0.3\n x: 1\n");
        assert_eq!(block.operation, None);
    }

    #[test]
    fn no_block_or_an_unclosed_one_is_an_error() {
        let error = openapi_block("# A page\n\n```shell\ncurl x\n```\n").unwrap_err();
        assert!(error.contains("no OpenAPI block"), "{error}");
        let error = openapi_block("# A page\n\n````yaml\nopenapi: 3.1.0\n").unwrap_err();
        assert!(error.contains("never closed"), "{error}");
    }

    #[test]
    fn only_https_urls_are_fetched() {
        for url in ["http://example.com/openapi.json", "ftp://example.com/x"] {
            let error = fetch(url).unwrap_err();
            assert!(error.contains("only https:// URLs"), "{error}");
        }
        let error = load("http://127.0.0.1:9/openapi.json").unwrap_err();
        assert!(error.contains("only https:// URLs"), "{error}");
    }

    #[test]
    fn a_yaml_full_document_is_named_as_such() {
        let error = parse("openapi.yaml", "openapi: 3.1.0\npaths: {}\n").unwrap_err();
        assert!(error.contains("an OpenAPI document in YAML"), "{error}");
    }

    #[test]
    fn a_page_whose_label_disagrees_with_its_block_is_refused() {
        let page = "````yaml get /v1/y\nopenapi: 3.1.0\ninfo:\n  version: '1'\npaths:\n  /v1/x:\n    post:\n      operationId: x\n````\n";
        let error = parse("page.md", page).unwrap_err();
        assert!(error.contains("labelled `get /v1/y`"), "{error}");
    }
}
