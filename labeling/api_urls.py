from django.urls import path

from labeling import api

app_name = "labeling-api"

ch = "challenges/<slug:slug>/"
sub = ch + "submissions/<int:pk>/"

urlpatterns = [
    path("challenges/", api.ChallengeList.as_view(), name="challenges"),
    path(ch, api.ChallengeDetail.as_view(), name="challenge"),
    path(ch + "inputs/<str:name>", api.InputDownload.as_view(), name="input"),
    path(ch + "hints/", api.HintList.as_view(), name="hints"),
    path(ch + "hints/<int:hint_id>/", api.HintDetail.as_view(), name="hint"),
    path(ch + "hints/<int:hint_id>/reveal/", api.HintReveal.as_view(), name="hint-reveal"),
    path(ch + "submissions/", api.SubmissionList.as_view(), name="submissions"),
    path(sub, api.SubmissionDetail.as_view(), name="submission"),
    path(sub + "code/", api.SubmissionCode.as_view(), name="submission-code"),
    path(sub + "cancel/", api.SubmissionCancel.as_view(), name="submission-cancel"),
    path(sub + "rescore/", api.SubmissionRescore.as_view(), name="submission-rescore"),
    path(sub + "disqualify/", api.SubmissionDisqualify.as_view(), name="submission-disqualify"),
    path(sub + "requalify/", api.SubmissionRequalify.as_view(), name="submission-requalify"),
    path(ch + "leaderboard/", api.Leaderboard.as_view(), name="leaderboard"),
    path(ch + "picks/", api.Picks.as_view(), name="picks"),
    path(ch + "benchmarks/", api.BenchmarkList.as_view(), name="benchmarks"),
    path(ch + "rescore/", api.ChallengeRescore.as_view(), name="rescore"),
    path(ch + "close/", api.ChallengeClose.as_view(), name="close"),
    path(ch + "export/", api.ChallengeExport.as_view(), name="export"),
]
