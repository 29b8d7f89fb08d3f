from django.urls import path

from labeling import views

app_name = "labeling"

ch = "challenges/<slug:slug>/"
sub = ch + "submissions/<int:pk>/"

urlpatterns = [
    path("challenges/", views.index, name="index"),
    path("challenges/new/", views.challenge_create, name="create"),
    path(ch, views.challenge_detail, name="challenge"),
    path(ch + "edit/", views.challenge_edit, name="edit"),
    path(ch + "hints/", views.hints_edit, name="hints_edit"),
    path(ch + "hints/<int:hint_id>/reveal/", views.hint_reveal, name="hint_reveal"),
    path(ch + "inputs/<str:name>", views.input_download, name="input"),
    path(ch + "submit/", views.submit, name="submit"),
    path(ch + "picks/", views.picks, name="picks"),
    path(ch + "queue/", views.queue_status, name="queue_status"),
    path(ch + "leaderboard/", views.leaderboard, name="leaderboard"),
    path(ch + "submissions/", views.staff_submissions, name="staff_submissions"),
    path(ch + "rescore/", views.rescore_all, name="rescore_all"),
    path(ch + "benchmarks/", views.benchmark_add, name="benchmark_add"),
    path(ch + "close/", views.close_now, name="close"),
    path(ch + "export.csv", views.export_csv, name="export"),
    path(sub, views.submission_detail, name="submission"),
    path(sub + "status/", views.submission_status, name="submission_status"),
    path(sub + "code/", views.submission_code, name="submission_code"),
    path(sub + "cancel/", views.submission_cancel, name="submission_cancel"),
    path(sub + "rescore/", views.submission_rescore, name="submission_rescore"),
    path(sub + "disqualify/", views.submission_disqualify, name="submission_disqualify"),
    path(sub + "requalify/", views.submission_requalify, name="submission_requalify"),
]
