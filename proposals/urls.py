from django.urls import path

from proposals import views

app_name = "proposals"

urlpatterns = [
    path("proposals/", views.index, name="index"),
    path("proposals/mine/", views.mine, name="mine"),
    path("proposals/export.csv", views.export, name="export"),
    path("proposals/template/", views.template_editor, name="template"),
    path("proposals/preview/", views.preview, name="preview"),
    path("proposals/<int:pk>/", views.detail, name="detail"),
    path("proposals/<int:pk>/edit/", views.edit, name="edit"),
    path("proposals/<int:pk>/revisions/", views.revisions, name="revisions"),
    path("proposals/<int:pk>/revisions/<int:number>/", views.revision, name="revision"),
    path("proposals/<int:pk>/diff/", views.diff, name="diff"),
    path("proposals/<int:pk>/review/", views.review, name="review"),
    path("proposals/<int:pk>/comments/", views.comment, name="comment"),
    path("updates/", views.updates, name="updates"),
    path("updates/week/<int:week>/", views.update_form, name="update_form"),
    path("updates/grid/", views.grid, name="grid"),
    path("updates/grid.csv", views.grid_csv, name="grid_csv"),
    path("updates/feed/", views.feed, name="feed"),
    path("updates/<int:pk>/", views.update_detail, name="update_detail"),
    path("updates/<int:pk>/comments/", views.update_comment, name="update_comment"),
]
