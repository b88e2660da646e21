"""A printable document's answer: the HTML page, or the same HTML rendered as a PDF download."""

from django.http import HttpResponse


def document_response(request, html: str, *, pdf: bool, filename: str) -> HttpResponse:
    """``html`` as a page, or as a PDF named ``filename`` (a name carrying no patient data: it ends
    up in download folders and mail attachments)."""
    if not pdf:
        return HttpResponse(html)
    from treatments.pdf import render_pdf  # WeasyPrint loads slowly: only when a PDF is asked

    response = HttpResponse(
        render_pdf(html, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
