//! Parsing of `#[backend("name", crate = path, capabilities = expr)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Expr, LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(capabilities);
}

/// The parsed arguments of `#[backend(...)]`.
pub(crate) struct BackendArgs {
    pub(crate) name: LitStr,
    pub(crate) krate: Option<Path>,
    pub(crate) capabilities: Option<(kw::capabilities, Expr)>,
}

impl Parse for BackendArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(
                input.error("expected the backend name as a string literal: #[backend(\"name\")]")
            );
        }
        let name = match input.parse::<LitStr>() {
            Ok(name) => name,
            Err(_) => {
                return Err(syn::Error::new(
                    input.span(),
                    "expected the backend name as a string literal: #[backend(\"name\")]",
                ));
            }
        };
        check_name(&name)?;

        let mut args = BackendArgs {
            name,
            krate: None,
            capabilities: None,
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = input.call(Path::parse_mod_style)?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "duplicate `crate` argument"));
                }
                args.krate = Some(path);
            } else if lookahead.peek(kw::capabilities) {
                let key = input.parse::<kw::capabilities>()?;
                input.parse::<Token![=]>()?;
                let expr = input.parse::<Expr>()?;
                if args.capabilities.is_some() {
                    return Err(syn::Error::new(
                        key.span,
                        "duplicate `capabilities` argument",
                    ));
                }
                args.capabilities = Some((key, expr));
            } else if input.peek(syn::Ident) {
                let ident: syn::Ident = input.parse()?;
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "unknown argument `{ident}`; expected `crate = path` or `capabilities = expr`"
                    ),
                ));
            } else {
                return Err(lookahead.error());
            }
        }
        Ok(args)
    }
}

/// Backend names are `[a-z][a-z0-9-]*`: they are Cargo feature names and CLI arguments too.
fn check_name(name: &LitStr) -> syn::Result<()> {
    let value = name.value();
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(syn::Error::new(
            name.span(),
            format!(
                "invalid backend name {value:?}: a name starts with a lowercase letter and continues with lowercase letters, digits or `-` (for example \"my-backend\")"
            ),
        ))
    }
}
