from django.urls import path

from grading import views

app_name = "grading"

urlpatterns = [
    path("evaluations/", views.evaluation_index, name="evaluations"),
    path("evaluations/new/", views.evaluation_create, name="evaluation_create"),
    path("evaluations/<int:pk>/", views.evaluation_answer, name="answer"),
    path("evaluations/<int:pk>/edit/", views.evaluation_edit, name="evaluation_edit"),
    path("evaluations/<int:pk>/results/", views.evaluation_results_page, name="results"),
    path("evaluations/<int:pk>/close/", views.evaluation_close, name="evaluation_close"),
    path("evaluations/<int:pk>/release/", views.evaluation_release, name="evaluation_release"),
    path("evaluations/<int:pk>/remind/", views.evaluation_remind, name="evaluation_remind"),
    path("evaluations/<int:pk>/feedback/", views.evaluation_feedback, name="feedback"),
    path("grades/", views.grade_sheet, name="sheet"),
    path("grades/settings/", views.grade_settings, name="settings"),
    path("grades/items/", views.grade_item_create, name="item_create"),
    path("grades/items/<int:pk>/", views.grade_item, name="item"),
    path("grades/export/canvas.csv", views.export_canvas, name="export_canvas"),
    path("grades/export/moodle.csv", views.export_moodle, name="export_moodle"),
    path("grades/release/", views.grade_release, name="release"),
    path("grades/mine/", views.my_grade, name="mine"),
]
