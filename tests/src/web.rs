//! A cookie-keeping HTTP client for the dashboards, as a browser would use them (without
//! JavaScript): it follows no redirects (tests look at them), keeps cookies, and reads the
//! CSRF token from the forms of the pages it gets.

use std::collections::BTreeMap;

/// One browser's view of the dashboards.
pub struct WebClient {
    pub base: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// The CSRF token of the last page that carried one.
    pub csrf: Option<String>,
}

/// The value of the first `name="csrf_token" value="..."` in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl WebClient {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            cookies: BTreeMap::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("ascii cookie");
            let pair = text.split(';').next().expect("a pair");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// GET with the browser's cookies and `Accept: text/html`.
    pub async fn get(
        &mut self,
        path: &str,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("dashboards reachable");
        self.keep_cookies(&response);
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.text().await.unwrap_or_default();
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        (status, headers, body)
    }

    /// GET and return the raw bytes (downloads).
    pub async fn get_bytes(
        &mut self,
        path: &str,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("dashboards reachable");
        let (status, headers) = (response.status(), response.headers().clone());
        (
            status,
            headers,
            response.bytes().await.expect("body").to_vec(),
        )
    }

    /// POSTs a form as a same-origin browser would (the page's CSRF token added unless the
    /// fields carry their own `csrf_token`).
    pub async fn post_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(key, _)| *key == "csrf_token") {
            if let Some(token) = &self.csrf {
                form.push(("csrf_token".to_owned(), token.clone()));
            }
        }
        let origin = self.base.clone();
        self.post_raw(path, &form, Some(&origin)).await
    }

    /// POSTs a form exactly as given, with an optional `Origin` header.
    pub async fn post_raw(
        &mut self,
        path: &str,
        form: &[(String, String)],
        origin: Option<&str>,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .form(form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("dashboards reachable");
        self.keep_cookies(&response);
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.text().await.unwrap_or_default();
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        (status, headers, body)
    }

    /// Signs in through the form; returns the status of the form post (303 on success).
    pub async fn sign_in(&mut self, username: &str, password: &str) -> reqwest::StatusCode {
        let (status, _, _) = self.get("/signin").await;
        assert_eq!(status, 200, "the sign-in page answers");
        let (status, _, _) = self
            .post_form(
                "/signin",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/cases"),
                ],
            )
            .await;
        if status == 303 {
            // Every signed-in page carries the session's CSRF token (in the sign-out form).
            self.csrf = None;
            for page in ["/cases", "/trace", "/reports"] {
                if self.csrf.is_some() {
                    break;
                }
                self.get(page).await;
            }
        }
        status
    }
}
