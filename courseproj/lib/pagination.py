from django.core.paginator import Paginator


def paginate(request, items, per_page: int = 50):
    """The requested page of `items` (?page=N); a bad or too-large number gives the nearest page.

    Templates show the controls with {% include "_pagination.html" with page=page %}.
    """
    return Paginator(items, per_page).get_page(request.GET.get("page"))
