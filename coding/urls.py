app_name = "coding"

urlpatterns: list = []
