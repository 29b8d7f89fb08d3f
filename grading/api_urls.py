from django.urls import path

from grading import api

urlpatterns = [
    path("evaluations/", api.EvaluationList.as_view(), name="api-evaluation-list"),
    path("evaluations/<int:pk>/", api.EvaluationDetail.as_view(), name="api-evaluation-detail"),
    path("evaluations/<int:pk>/answer/", api.EvaluationAnswer.as_view(), name="api-evaluation-answer"),
    path("evaluations/<int:pk>/results/", api.EvaluationResults.as_view(), name="api-evaluation-results"),
    path("evaluations/<int:pk>/close/", api.EvaluationClose.as_view(), name="api-evaluation-close"),
    path("evaluations/<int:pk>/release/", api.EvaluationRelease.as_view(), name="api-evaluation-release"),
    path("evaluations/<int:pk>/remind/", api.EvaluationRemind.as_view(), name="api-evaluation-remind"),
    path("evaluations/<int:pk>/feedback/", api.EvaluationFeedback.as_view(), name="api-evaluation-feedback"),
    path("grades/", api.GradeSheet.as_view(), name="api-grade-sheet"),
    path("grades/mine/", api.MyGrade.as_view(), name="api-grade-mine"),
    path("grades/export/", api.GradeExport.as_view(), name="api-grade-export"),
]
